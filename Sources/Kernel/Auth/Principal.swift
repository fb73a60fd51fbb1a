import Foundation

/// Who is calling, once authenticated: a user through an access token, or an API key. Every
/// tenant-scoped operation runs as `organizationID` with `role`.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case user(UUID)
        case apiKey(UUID)
        /// A tenant script's workflow writing through the record store.
        case script(String)
        /// The server itself, changing records because something else changed (a stage's kind,
        /// a deleted tag, a custom field's new type): the cause, e.g. `tag.deleted`.
        case system(String)
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

    /// The rate-limit and audit identity: `user:<id>`, `key:<id>`, `script:<name>`, `system:<cause>`.
    public var actorKey: String {
        switch kind {
        case .user(let id): return "user:\(id.text)"
        case .apiKey(let id): return "key:\(id.text)"
        case .script(let name): return "script:\(name)"
        case .system(let cause): return "system:\(cause)"
        }
    }

    /// Who acted, as history entries and hook events show it: `{type, id, role}`.
    public var actorJSON: JSONValue {
        let role = JSONValue.string(role.rawValue)
        switch kind {
        case .user(let id): return ["type": "user", "id": .string(id.text), "role": role]
        case .apiKey(let id): return ["type": "apiKey", "id": .string(id.text), "role": role]
        case .script(let name): return ["type": "script", "id": .string(name), "role": role]
        case .system(let cause): return ["type": "system", "id": .string(cause), "role": role]
        }
    }

    /// The server acting in an organization for `cause` (see `Kind.system`).
    public static func system(_ cause: String, organizationID: UUID) -> Principal {
        Principal(kind: .system(cause), organizationID: organizationID, role: .owner)
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
