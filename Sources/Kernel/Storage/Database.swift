import Logging
import PostgresNIO
import Synchronization

/// The server's connection pool. `client` runs as a service of the application (its `run()`
/// drives the pool); every query of the kernel and its plugins goes through it, in a
/// `TenantScope` that row-level security enforces.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    private let scopes = ConnectionScopes()

    public static let defaultPoolSize = 20

    /// A pool that opens `poolSize` connections at start and keeps them: a connection above the
    /// pool's minimum arms an idle-timeout timer (a task and a dispatch timer) each time it is
    /// returned, which cost more CPU than the query of a GET by id (bench/run.sh, with
    /// keep-alive also off: 4.6k → 6.5k req/s). Bursts may open more, up to twice as many and
    /// at least 40, closed again after a minute idle: a few paths still hold two connections
    /// at once (a cold cache of another scope during a write), so the ceiling stays well above
    /// the concurrency the minimum is sized for.
    public init(url: DatabaseURL, logger: Logger, poolSize: Int = Database.defaultPoolSize, maximumConnections: Int? = nil) {
        var configuration = url.clientConfiguration()
        configuration.options.minimumConnections = poolSize
        configuration.options.maximumConnections = maximumConnections ?? max(40, 2 * poolSize)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs `body` on a connection whose session acts as `scope` (statements autocommit) —
    /// the task's current connection when it already works in `scope` (see `Lease`).
    public func withScope<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let lease = Self.lease, lease.isOpen, lease.scope == scope {
            return try await body(lease.connection)
        }
        return try await leasing(scope, body)
    }

    /// Runs `body` in one transaction acting as `scope`; any error rolls everything back.
    /// Always on a connection of its own: it never joins a transaction the task may be in.
    public func transaction<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await leasing(scope) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    scopes.forget(connection)
                }
                throw error
            }
        }
    }

    /// `transaction` or, for work that is a single statement (atomic on its own), `withScope`.
    public func run<T: Sendable>(
        _ scope: TenantScope, inTransaction: Bool, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        inTransaction ? try await transaction(scope, body) : try await withScope(scope, body)
    }

    /// A pooled connection in `scope` for `body`, published to the task (`lease`) meanwhile.
    private func leasing<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await scopes.ensure(scope, on: connection, logger: logger)
            let lease = Lease(connection: connection, scope: scope)
            defer { lease.end() }
            return try await Self.$lease.withValue(lease) { try await body(connection) }
        }
    }

    /// The connection the current task works on, so that a read further down the same task —
    /// a Lua before-handler's `crm.get` during a write, say — runs on it (and in its
    /// transaction) instead of taking a second pooled connection: requests that each hold one
    /// and wait for another can exhaust the pool and stall the server for good (seen with a
    /// pool of 4). Only for the same scope, and only while the lease lasts: a task started
    /// meanwhile inherits the task-local and must not use the connection after it went back.
    @TaskLocal static var lease: Lease?

    final class Lease: Sendable {
        let connection: PostgresConnection
        let scope: TenantScope
        private let open = Atomic<Bool>(true)

        init(connection: PostgresConnection, scope: TenantScope) {
            self.connection = connection
            self.scope = scope
        }

        var isOpen: Bool { open.load(ordering: .acquiring) }
        func end() { open.store(false, ordering: .releasing) }
    }

    /// `true` when the server answers a trivial query within `timeout`.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await self.client.query("SELECT 1", logger: self.logger)) != nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

/// Recognising PostgreSQL errors the API answers with a 4xx.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"

    public static func of(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    public static func isUniqueViolation(_ error: any Error) -> Bool { of(error) == uniqueViolation }
}
