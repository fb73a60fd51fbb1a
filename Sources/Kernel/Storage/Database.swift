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

    /// Limits on one statement of a request (see `init`).
    public struct Timeouts: Sendable {
        public var statementMilliseconds: Int
        public var lockMilliseconds: Int

        public init(statementMilliseconds: Int, lockMilliseconds: Int) {
            self.statementMilliseconds = statementMilliseconds
            self.lockMilliseconds = lockMilliseconds
        }
    }

    /// A pool's client and the tenant scope its connections' sessions are set to (connection
    /// ids are unique only within one pool).
    private final class Pool: Sendable {
        let client: PostgresClient
        let scopes = ConnectionScopes()
        init(_ client: PostgresClient) { self.client = client }
    }

    /// Each event loop's pool holds up to ⌈`poolSize` / loops⌉ connections — more in a burst (twice
    /// as many, at least 20 per loop: a few paths still hold two connections at once, a cold cache
    /// of another scope during a write) — opened on demand and closed after five idle minutes.
    ///
    /// No pool keeps a minimum of open connections, although a kept minimum was faster (a
    /// connection above it arms an idle timer each time it is returned: a GET by id went from
    /// 7.7k to 8.7k req/s with a minimum, bench/ab-get.sh). PostgresNIO 1.33.2 crashes the process
    /// with a minimum when the database restarts under load: a pool that failed to reconnect
    /// hands its first new connection to a waiting request without making up the rest of its
    /// minimum, and the next lease trips `precondition(minimumConcurrentConnections <=
    /// stats.active)` in `PoolStateMachine.ConnectionGroup.createNewDemandConnectionIfPossible()`
    /// (Tests/Reliability: database restart). With a minimum of 0 that precondition always holds.
    ///
    /// `timeouts` bound what a request's statements may take (`statement_timeout`,
    /// `lock_timeout`, set at connection start on the event loops' pools; the shared pool runs
    /// migrations, which may take long): a stuck row or a slow database then fails the request
    /// with a 503 instead of holding its connection until the pool runs dry.
    public init(
        url: DatabaseURL, logger: Logger, poolSize: Int = Database.defaultPoolSize, maximumConnections: Int? = nil,
        timeouts: Timeouts? = nil
    ) {
        let base = url.clientConfiguration()
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        // `maximumConnections` (tests) caps the shared pool, and each loop's pool at its share.
        let perLoopShare = (poolSize + loops.count - 1) / loops.count
        var perLoop = base
        if let timeouts {
            perLoop.options.additionalStartupParameters += [
                ("statement_timeout", "\(timeouts.statementMilliseconds)"), ("lock_timeout", "\(timeouts.lockMilliseconds)"),
            ]
        }
        perLoop.options.minimumConnections = 0
        perLoop.options.connectionIdleTimeout = .seconds(300)
        perLoop.options.maximumConnections =
            max(perLoopShare, maximumConnections.map { $0 / loops.count } ?? max(20, 2 * perLoopShare))
        var pools: [ObjectIdentifier: Pool] = [:]
        for loop in loops {
            pools[ObjectIdentifier(loop)] = Pool(PostgresClient(configuration: perLoop, eventLoopGroup: loop, backgroundLogger: logger))
        }
        var shared = base
        shared.options.minimumConnections = 0
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
    /// On a connection of its own — except inside a `unitOfWork` of the same scope, which it
    /// joins as a savepoint: its error then undoes only its own part.
    public func transaction<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let unit = Self.unit, unit.lease.isOpen, unit.lease.scope == scope {
            return try await unit.savepoint(logger: logger, body)
        }
        return try await leasing(scope) { connection, scopes in
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

    /// `transaction` or, for work that is a single statement (atomic on its own), `withScope`
    /// — inside a `unitOfWork` always `transaction`, so that a failing statement (a script's
    /// `crm.create` it catches with `pcall`) does not abort the whole unit.
    public func run<T: Sendable>(
        _ scope: TenantScope, inTransaction: Bool, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        inTransaction || Self.unit != nil ? try await transaction(scope, body) : try await withScope(scope, body)
    }

    /// Runs `body` in one transaction acting as `scope` that every `transaction`, `run` and
    /// `withScope` of the same scope further down the task joins — a workflow job's writes and
    /// its completion commit together, or none of them does (exactly-once effects).
    public func unitOfWork<T: Sendable>(_ scope: TenantScope, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(scope) { connection in
            guard let lease = Self.lease else { throw APIError.internalError() }
            return try await Self.$unit.withValue(UnitOfWork(lease: lease)) { try await body(connection) }
        }
    }

    /// The open `unitOfWork` of the task, if any.
    @TaskLocal static var unit: UnitOfWork?

    final class UnitOfWork: Sendable {
        let lease: Lease
        private let savepoints = Atomic<Int>(0)

        init(lease: Lease) { self.lease = lease }

        /// `body` between `SAVEPOINT` and `RELEASE`, or rolled back to the savepoint on error.
        func savepoint<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
            let name = "crm_sp_\(savepoints.add(1, ordering: .relaxed).newValue)"
            let connection = lease.connection
            try await connection.query("SAVEPOINT \(unescaped: name)", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("RELEASE SAVEPOINT \(unescaped: name)", logger: logger)
                return result
            } catch {
                try await connection.query("ROLLBACK TO SAVEPOINT \(unescaped: name)", logger: logger)
                throw error
            }
        }
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

/// Recognising PostgreSQL errors the API answers with a 4xx or a 503.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"

    public static func of(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    public static func isUniqueViolation(_ error: any Error) -> Bool { of(error) == uniqueViolation }

    /// The database cannot serve now, through no fault of the request — unreachable or
    /// restarting (a lost connection; SQLSTATE class 08, `57P01`–`57P03`), out of resources
    /// (class 53: disk full, out of memory, too many connections), too slow (a statement or
    /// lock timeout, `57014`, `55P03`), or a deadlock or serialization failure (class 40):
    /// worth a retry, so a 503 rather than a 500.
    public static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .queryCancelled:
                return true
            default:
                break
            }
        }
        guard let state = of(error) else {
            // The pool's own refusals (its circuit breaker tripped while the server was away).
            return String(describing: type(of: error)).contains("ConnectionPoolError")
        }
        return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("40")
            || ["57P01", "57P02", "57P03", "57014", "55P03"].contains(state)
    }
}
