import Foundation

/// Who is calling, once authenticated: a user through an access token, or an API key. Every
/// tenant-scoped operation runs as `organizationID` with `role`.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case user(UUID)
        case apiKey(UUID)
        /// A tenant script's workflow writing through the record store.
        case script(String)
    }

    public let kind: Kind
    public let organizationID: UUID
    public let role: Role

    public init(kind: Kind, organizationID: UUID, role: Role) {
        self.kind = kind
        self.organizationID = organizationID
        self.role = role
    }

    /// The user, when a person (not an API key) is calling.
    public var userID: UUID? {
        if case .user(let id) = kind { return id }
        return nil
    }

    /// The rate-limit and audit identity: `user:<id>` or `key:<id>`.
    public var actorKey: String {
        switch kind {
        case .user(let id): return "user:\(id.text)"
        case .apiKey(let id): return "key:\(id.text)"
        case .script(let name): return "script:\(name)"
        }
    }

    /// The scope database work for this principal runs in.
    public var scope: TenantScope { TenantScope(organizationID: organizationID, userID: userID) }

    /// Throws 403 unless the principal's role holds `permission`.
    public func require(_ permission: Permission) throws {
        guard role.holds(permission) else {
            throw APIError.forbidden("requires the \(permission.minimumRole.rawValue) role (\(permission.name))")
        }
    }
}
