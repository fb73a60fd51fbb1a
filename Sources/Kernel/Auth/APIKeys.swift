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

    public static func generate(organizationID: UUID) -> Created {
        let secret = SecretToken.generate()
        let org = organizationID.text.replacingOccurrences(of: "-", with: "")
        let key = "crm_\(secret)_\(org)"
        return Created(key: key, prefix: String(key.prefix(12)))
    }

    /// The organization a key claims to belong to, if it is shaped like a key.
    static func organization(of key: String) -> UUID? {
        guard key.hasPrefix("crm_"), key.utf8.count == 4 + 43 + 1 + 32 else { return nil }
        let hex = Array(key.suffix(32))
        guard key.dropLast(32).hasSuffix("_") else { return nil }
        let dashed = String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
        return UUID(text: dashed)
    }

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
