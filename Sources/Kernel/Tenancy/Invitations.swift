import Foundation
import Logging
import PostgresNIO

/// Invitations to join an organization (API.md, Invitations): nobody becomes a member without
/// accepting. The token (`inv_<secret>_<org>`) is shown once, stored as its digest, valid 7
/// days, used once; it names its organization, so every lookup runs in that tenant's scope.
struct Invitations {
    static let lifetime: TimeInterval = 7 * 24 * 3600
    static let tokenPrefix = "inv_"

    let logger: Logger

    /// Creates a pending invitation (replacing a pending one for the same email), in the
    /// inviting organization's transaction. Its answer has the same shape whether or not the
    /// email belongs to an account, and never shows that account's name.
    func create(email: String, role: Role, invitedBy: UUID?, in organizationID: UUID, on connection: PostgresConnection) async throws -> InvitationView {
        let members = try await connection.query(
            """
            SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = \(organizationID) AND lower(u.email) = \(email)
            """, logger: logger)
        for try await _ in members { throw APIError.conflict("this email belongs to a member already") }
        // The newest invitation is the one that counts: an admin re-inviting someone (a lost
        // link) leaves no second live token behind.
        try await connection.query(
            """
            UPDATE invitations SET revoked_at = now()
            WHERE org_id = \(organizationID) AND email = \(email) AND accepted_at IS NULL AND revoked_at IS NULL
            """, logger: logger)
        let id = UUID()
        let token = SecretToken.generate(prefix: Self.tokenPrefix, organizationID: organizationID)
        let expires = Date().addingTimeInterval(Self.lifetime)
        try await connection.query(
            """
            INSERT INTO invitations (org_id, id, email, role, token_hash, invited_by, expires_at)
            VALUES (\(organizationID), \(id), \(email), \(role.rawValue), \(SecretToken.digest(token)), \(invitedBy), \(expires))
            """, logger: logger)
        return InvitationView(id: id.text, email: email, role: role.rawValue, status: "invited", expiresAt: expires, token: token)
    }

    /// The organization's invitations, newest first (the latest 200), without tokens.
    func list(in organizationID: UUID, on connection: PostgresConnection) async throws -> [InvitationView] {
        let rows = try await connection.query(
            """
            SELECT id, email, role,
                   CASE WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN revoked_at IS NOT NULL THEN 'revoked'
                        WHEN expires_at <= now() THEN 'expired' ELSE 'invited' END,
                   expires_at, created_at
            FROM invitations WHERE org_id = \(organizationID) ORDER BY created_at DESC, id DESC LIMIT 200
            """, logger: logger)
        var result: [InvitationView] = []
        for try await (id, email, role, status, expires, created) in rows.decode((UUID, String, String, String, Date, Date).self) {
            result.append(InvitationView(id: id.text, email: email, role: role, status: status, expiresAt: expires, createdAt: created))
        }
        return result
    }

    /// Revokes a pending invitation; revoking one that is revoked or expired already is a no-op.
    func revoke(_ id: UUID, in organizationID: UUID, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            UPDATE invitations SET revoked_at = COALESCE(revoked_at, now())
            WHERE org_id = \(organizationID) AND id = \(id) RETURNING accepted_at IS NOT NULL
            """, logger: logger)
        var found = false
        for try await accepted in rows.decode(Bool.self) {
            if accepted { throw APIError.conflict("this invitation was accepted; remove the member instead") }
            found = true
        }
        guard found else { throw APIError.notFound("no invitation \(id.text)") }
    }

    /// The organization a token names; 404 for anything not shaped like an invitation token.
    static func organization(of token: String) throws -> UUID {
        guard let organizationID = SecretToken.organization(of: token, prefix: tokenPrefix) else { throw unknown }
        return organizationID
    }

    static let unknown = APIError.notFound("this invitation is unknown, used, revoked or expired")

    /// Uses the invitation for `userID`, whose (lower-case) email must be the invited one: adds
    /// the membership and marks the invitation accepted, in the caller's transaction, which acts
    /// as the token's organization. Returns the role granted.
    /// The open invitation of `token` for the user with `email` (locked when `forUpdate`): 404 for
    /// an unknown, used, revoked or expired token, 403 for another user's.
    func open(_ token: String, email: String, forUpdate: Bool, on connection: PostgresConnection) async throws -> (id: UUID, role: Role) {
        let organizationID = try Self.organization(of: token)
        let rows = try await connection.query(
            """
            SELECT id, email, role FROM invitations
            WHERE org_id = \(organizationID) AND token_hash = \(SecretToken.digest(token))
              AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        var found: (UUID, String, String)?
        for try await row in rows.decode((UUID, String, String).self) { found = row }
        guard let (id, invited, roleName) = found, let role = Role(rawValue: roleName) else { throw Self.unknown }
        guard invited == email.lowercased() else {
            throw APIError.forbidden("this invitation is for another email address")
        }
        return (id, role)
    }

    func accept(_ token: String, userID: UUID, email: String, on connection: PostgresConnection) async throws -> Role {
        let organizationID = try Self.organization(of: token)
        let (id, role) = try await open(token, email: email, forUpdate: true, on: connection)
        do {
            try await connection.query(
                "INSERT INTO memberships (org_id, user_id, role) VALUES (\(organizationID), \(userID), \(role.rawValue))",
                logger: logger)
        } catch where SQLState.isUniqueViolation(error) {
            throw APIError.conflict("already a member of this organization")
        }
        try await connection.query(
            "UPDATE invitations SET accepted_at = now(), accepted_by = \(userID) WHERE org_id = \(organizationID) AND id = \(id)",
            logger: logger)
        return role
    }
}
