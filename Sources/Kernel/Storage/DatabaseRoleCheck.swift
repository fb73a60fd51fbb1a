import Logging
import PostgresNIO

/// Row-level security does not bind a superuser or a `BYPASSRLS` role, so a server connected as
/// one would keep no tenant apart from another. The server refuses to start as one (DESIGN.md,
/// Configuration).
public enum DatabaseRoleCheck {
    public struct UnsafeRole: Error, CustomStringConvertible {
        public let role: String
        public let reason: String
        public var description: String {
            "DATABASE_URL connects as \"\(role)\", \(reason): row-level security would not hold; connect as a role with NOSUPERUSER NOBYPASSRLS"
        }
    }

    public static func refuseUnsafeRole(_ client: PostgresClient, logger: Logger) async throws {
        let rows = try await client.query(
            "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", logger: logger)
        for try await (role, superuser, bypass) in rows.decode((String, Bool, Bool).self) {
            if superuser { throw UnsafeRole(role: role, reason: "a superuser") }
            if bypass { throw UnsafeRole(role: role, reason: "a role with BYPASSRLS") }
        }
    }
}
