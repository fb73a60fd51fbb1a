/// A member's role in an organization, from least to most powerful (API.md: owner > admin >
/// member > viewer).
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, member, admin, owner

    var rank: Int {
        switch self {
        case .viewer: return 0
        case .member: return 1
        case .admin: return 2
        case .owner: return 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Something a route may require. Each permission names the least role that holds it; roles
/// are ordered, so a higher role holds every permission of the lower ones. The kernel's own are
/// below; a plugin declares its own in its manifest (`PluginManifest.permissions`), and its
/// routes name them with `declared(_:)`, which the route gate resolves from that manifest.
public struct Permission: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let minimumRole: Role
    /// A reference by name to a plugin's declared permission, not yet resolved.
    let isReference: Bool

    public init(_ name: String, minimumRole: Role) {
        self.name = name
        self.minimumRole = minimumRole
        self.isReference = false
    }

    private init(reference name: String) {
        self.name = name
        self.minimumRole = .owner
        self.isReference = true
    }

    public var description: String { name }

    /// The permission `name` as the registering plugin's manifest declares it (its role comes
    /// from there); registering a route with a name the manifest lacks stops start-up.
    public static func declared(_ name: String) -> Permission {
        Permission(reference: name)
    }

    public static let organizationRead = Permission("organization.read", minimumRole: .viewer)
    public static let organizationUpdate = Permission("organization.update", minimumRole: .admin)
    public static let organizationDelete = Permission("organization.delete", minimumRole: .owner)
    public static let membersRead = Permission("members.read", minimumRole: .viewer)
    public static let membersManage = Permission("members.manage", minimumRole: .admin)
    public static let ownersManage = Permission("owners.manage", minimumRole: .owner)
    public static let pluginsRead = Permission("plugins.read", minimumRole: .viewer)
    public static let pluginsManage = Permission("plugins.manage", minimumRole: .admin)
    public static let apiKeysManage = Permission("apikeys.manage", minimumRole: .admin)
    public static let recordsRead = Permission("records.read", minimumRole: .viewer)
    public static let recordsWrite = Permission("records.write", minimumRole: .member)
}

extension Role {
    public func holds(_ permission: Permission) -> Bool { self >= permission.minimumRole }
}
