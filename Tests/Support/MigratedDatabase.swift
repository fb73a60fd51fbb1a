import Foundation
import Kernel
import PostgresNIO

/// The database the shared test server migrated (the kernel and every bundled plugin), for a
/// plugin module's own tests: its SQL (tables, triggers, row-level security) against a real
/// PostgreSQL, each test in an organization of its own. Shared rather than created per test:
/// a database and its migrations per suite added seconds of start-up load to a run that
/// already starts dozens of servers on two cores.
public struct MigratedDatabase: Sendable {
    public let database: TestDatabase

    public init(database: TestDatabase) {
        self.database = database
    }

    public static func shared() async throws -> MigratedDatabase {
        MigratedDatabase(database: try await SharedServer.shared.database())
    }

    /// Runs `body` in one transaction as the application role acting for `organization`
    /// (created first when missing), as the server's requests do.
    @discardableResult
    public func asOrganization<T: Sendable>(
        _ organization: UUID, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await database.withApp { client in
            try await client.withConnection { connection in
                let logger = TestDatabase.logger
                try await connection.query("BEGIN", logger: logger)
                do {
                    try await connection.query("SELECT set_config('app.org_id', \(organization.uuidString), true)", logger: logger)
                    try await connection.query(
                        "INSERT INTO organizations (id, name) VALUES (\(organization), 'Test') ON CONFLICT DO NOTHING", logger: logger)
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// The organization's insight counters as `name day key → n`, summed over slots, zeros left out.
    public func counters(_ organization: UUID) async throws -> [String: Int] {
        try await asOrganization(organization) { connection in
            let rows = try await connection.query(
                """
                SELECT name || ' ' || day::text || ' ' || key, sum(n)::int FROM insight_counters
                WHERE org_id = \(organization) GROUP BY 1 HAVING sum(n) <> 0
                """, logger: TestDatabase.logger)
            var counters: [String: Int] = [:]
            for try await (key, n) in rows.decode((String, Int).self) { counters[key] = n }
            return counters
        }
    }
}
