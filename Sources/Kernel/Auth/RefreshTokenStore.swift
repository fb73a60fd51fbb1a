import Foundation
import Logging
import PostgresNIO

/// Refresh tokens: opaque, stored as SHA-256 digests, 7 days, rotated on every use. One login is
/// one family; presenting a token that was already rotated means it leaked, so the whole family
/// is revoked (RFC 9700 §4.14.2 reuse detection).
struct RefreshTokenStore {
    static let lifetime: TimeInterval = 7 * 24 * 3600

    enum Rotation {
        case rotated(userID: UUID, organizationID: UUID, familyID: UUID)
        case invalid
        case reused
    }

    let logger: Logger

    func issue(userID: UUID, organizationID: UUID, familyID: UUID, on connection: PostgresConnection) async throws -> String {
        let token = SecretToken.generate()
        let digest = SecretToken.digest(token)
        let expires = Date().addingTimeInterval(Self.lifetime)
        try await connection.query(
            """
            INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, org_id, expires_at)
            VALUES (\(UUID()), \(digest), \(familyID), \(userID), \(organizationID), \(expires))
            """, logger: logger)
        return token
    }

    /// Marks `token` used (inside the caller's transaction). A reused token revokes its family;
    /// the caller must commit that before answering 401.
    func consume(_ token: String, on connection: PostgresConnection) async throws -> Rotation {
        let rows = try await connection.query(
            """
            SELECT id, family_id, user_id, org_id, expires_at > now(), rotated_at IS NOT NULL, revoked_at IS NOT NULL
            FROM refresh_tokens WHERE token_hash = \(SecretToken.digest(token)) FOR UPDATE
            """, logger: logger)
        var found: (UUID, UUID, UUID, UUID, Bool, Bool, Bool)?
        for try await row in rows.decode((UUID, UUID, UUID, UUID, Bool, Bool, Bool).self) { found = row }
        guard let (id, family, user, org, live, rotated, revoked) = found else { return .invalid }
        if rotated {
            try await revokeFamily(family, on: connection)
            return .reused
        }
        guard live, !revoked else { return .invalid }
        try await connection.query("UPDATE refresh_tokens SET rotated_at = now() WHERE id = \(id)", logger: logger)
        return .rotated(userID: user, organizationID: org, familyID: family)
    }

    func revokeFamily(_ family: UUID, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = \(family) AND revoked_at IS NULL", logger: logger)
    }

    func revoke(_ token: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = \(SecretToken.digest(token)) AND revoked_at IS NULL",
            logger: logger)
    }
}
