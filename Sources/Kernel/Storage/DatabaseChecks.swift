import Logging
import PostgresNIO

/// What the server checks of its database at start: the role it connects as (row-level
/// security does not bind a superuser or a `BYPASSRLS` role, so a server connected as one would
/// keep no tenant apart from another: it refuses to start, DESIGN.md, Configuration), and in
/// production the settings that weaken durability (a warning).
public enum DatabaseChecks {
    public struct UnsafeRole: Error, CustomStringConvertible {
        public let role: String
        public let reason: String
        public var description: String {
            "DATABASE_URL connects as \"\(role)\", \(reason): row-level security would not hold; connect as a role with NOSUPERUSER NOBYPASSRLS"
        }
    }

    /// What in the server's settings weakens what an acknowledged write promises (it survives
    /// a crash of PostgreSQL or of its machine): `fsync` or `synchronous_commit` off.
    public static func durabilityWarnings(_ client: PostgresClient, logger: Logger) async throws -> [String] {
        let rows = try await client.query(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit')", logger: logger)
        var warnings: [String] = []
        for try await (fsync, synchronousCommit) in rows.decode((String, String).self) {
            if fsync == "off" {
                warnings.append("PostgreSQL runs with fsync=off: a crash of its machine can lose or corrupt acknowledged writes")
            }
            if synchronousCommit == "off" {
                warnings.append("PostgreSQL runs with synchronous_commit=off: a crash can lose the last acknowledged writes")
            }
        }
        return warnings
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
