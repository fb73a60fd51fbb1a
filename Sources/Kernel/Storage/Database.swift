import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The server's connections to PostgreSQL. Every query of the kernel and its plugins goes
/// through it, in a `TenantScope` that row-level security enforces. It is a service of the
/// application: `run()` drives its pools.
///
/// Requests take their connection from **the pool of the event loop they run on** (`loopPools`),
/// whose connections live on that same loop: a request's HTTP I/O, its queries and its response
/// then never change threads. With one shared pool, half the queries came back on the other
/// loop, and each such hop is a task enqueued on another thread, an eventfd wake-up and a
/// context switch, twice per query. In a same-time A/B on 2 cores (wrk -c32), a list of 25 went
/// from 2.0–2.4k to 3.6–3.9k req/s and a GET by id from 5.0–5.7k to 6.7–7.2k. Work that runs off
/// the event loops, and the long-lived connections (migrations, LISTEN, readiness pings), use
/// `client`, a shared pool.
public struct Database: Sendable, Service {
    /// The shared pool: migrations, the tenant-change listener, readiness, callers off the loops.
    public var client: PostgresClient { shared.client }
    public let logger: Logger
    private let shared: Pool
    private let loopPools: [ObjectIdentifier: Pool]

    public static let defaultPoolSize = 20

    /// A pool's client and the tenant scope its connections' sessions are set to (connection
    /// ids are unique only within one pool).
    private final class Pool: Sendable {
        let client: PostgresClient
        let scopes = ConnectionScopes()
        init(_ client: PostgresClient) { self.client = client }
    }

    /// `poolSize` connections are opened at start and kept, split evenly between the event loops'
    /// pools: a connection above a pool's minimum arms an idle-timeout timer (a task and a
    /// dispatch timer) each time it is returned, which cost more CPU than the query of a GET by
    /// id (bench/run.sh, with keep-alive also off: 4.6k → 6.5k req/s). Bursts may open more, up
    /// to twice as many and at least 20 per loop, closed again after a minute idle: a few paths
    /// still hold two connections at once (a cold cache of another scope during a write), so the
    /// ceiling stays well above the concurrency the minimum is sized for.
    public init(url: DatabaseURL, logger: Logger, poolSize: Int = Database.defaultPoolSize, maximumConnections: Int? = nil) {
        let base = url.clientConfiguration()
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        // `maximumConnections` (tests) caps the shared pool, and each loop's pool at its share.
        let perLoopMinimum = (poolSize + loops.count - 1) / loops.count
        var perLoop = base
        perLoop.options.minimumConnections = perLoopMinimum
        perLoop.options.maximumConnections =
            max(perLoopMinimum, maximumConnections.map { $0 / loops.count } ?? max(20, 2 * perLoopMinimum))
        var pools: [ObjectIdentifier: Pool] = [:]
        for loop in loops {
            pools[ObjectIdentifier(loop)] = Pool(PostgresClient(configuration: perLoop, eventLoopGroup: loop, backgroundLogger: logger))
        }
        var shared = base
        shared.options.minimumConnections = 1
        shared.options.maximumConnections = max(1, maximumConnections ?? max(40, 2 * poolSize))
        self.shared = Pool(PostgresClient(configuration: shared, backgroundLogger: logger))
        self.loopPools = pools
        self.logger = logger
    }

    /// Drives every pool until the task is cancelled (or, as a service, at graceful shutdown).
    public func run() async {
        await withDiscardingTaskGroup { group in
            for pool in loopPools.values {
                group.addTask { await pool.client.run() }
            }
            // In this task, not a child: the other services (migrations first) use the shared
            // pool as soon as they start, and PostgresClient warns when leased from before run().
            await client.run()
        }
    }

    /// The pool of the event loop this task runs on; the shared one off the loops.
    private var currentPool: Pool {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return shared }
        return loopPools[ObjectIdentifier(loop)] ?? shared
    }

    /// Runs `body` on a connection whose session acts as `scope` (statements autocommit) —
    /// the task's current connection when it already works in `scope` (see `Lease`).
    public func withScope<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let lease = Self.lease, lease.isOpen, lease.scope == scope {
            return try await body(lease.connection)
        }
        return try await leasing(scope) { connection, _ in try await body(connection) }
    }

    /// Runs `body` in one transaction acting as `scope`; any error rolls everything back.
    /// Always on a connection of its own: it never joins a transaction the task may be in.
    public func transaction<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await leasing(scope) { connection, scopes in
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
    private func leasing<T: Sendable>(
        _ scope: TenantScope, _ body: (PostgresConnection, ConnectionScopes) async throws -> T
    ) async throws -> T {
        let pool = currentPool
        return try await pool.client.withConnection { connection in
            let scopes = pool.scopes
            try await scopes.ensure(scope, on: connection, logger: logger)
            let lease = Lease(connection: connection, scope: scope)
            defer { lease.end() }
            return try await Self.$lease.withValue(lease) { try await body(connection, scopes) }
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
