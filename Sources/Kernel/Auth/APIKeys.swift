import Foundation
import Logging
import PostgresNIO

/// API keys: `crm_<secret>_<organization id>`. The organization part lets authentication run
/// in that tenant's scope (row-level security applies to the lookup too); the key is stored
/// only as a SHA-256 digest, with a short display prefix so people can tell keys apart.
public struct APIKeys: Sendable {
    let database: Database

    public struct Created: Sendable {
        public let key: String
        public let prefix: String
    }

    static let prefix = "crm_"

    public static func generate(organizationID: UUID) -> Created {
        let key = SecretToken.generate(prefix: prefix, organizationID: organizationID)
        return Created(key: key, prefix: String(key.prefix(12)))
    }

    /// The organization a key claims to belong to, if it is shaped like a key.
    static func organization(of key: String) -> UUID? { SecretToken.organization(of: key, prefix: prefix) }

    /// The principal of a live key; nil when the key is unknown or revoked.
    func authenticate(_ key: String) async throws -> Principal? {
        guard let org = Self.organization(of: key) else { return nil }
        let digest = SecretToken.digest(key)
        return try await database.withScope(TenantScope(organizationID: org)) { connection in
            let rows = try await connection.query(
                "SELECT id, role FROM api_keys WHERE org_id = \(org) AND key_hash = \(digest) AND revoked_at IS NULL",
                logger: database.logger)
            for try await (id, role) in rows.decode((UUID, String).self) {
                guard let role = Role(rawValue: role) else { return nil }
                return Principal(kind: .apiKey(id), organizationID: org, role: role)
            }
            return nil
        }
    }
}
