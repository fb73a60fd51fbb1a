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
/// are ordered, so a higher role holds every permission of the lower ones.
public struct Permission: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let minimumRole: Role

    public init(_ name: String, minimumRole: Role) {
        self.name = name
        self.minimumRole = minimumRole
    }

    public var description: String { name }

    /// A plugin's declared permission: `<plugin>.read` is for viewers, anything else
    /// (`.write`) for members.
    public static func declared(_ name: String) -> Permission {
        Permission(name, minimumRole: name.hasSuffix(".read") ? .viewer : .member)
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
    public static let scriptsRead = Permission("scripts.read", minimumRole: .viewer)
    public static let scriptsManage = Permission("scripts.manage", minimumRole: .admin)
    public static let customFieldsRead = Permission("customfields.read", minimumRole: .viewer)
    public static let customFieldsManage = Permission("customfields.manage", minimumRole: .admin)
}

extension Role {
    public func holds(_ permission: Permission) -> Bool { self >= permission.minimumRole }
}
