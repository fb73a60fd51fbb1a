import Hummingbird
import Synchronization

/// Whether start-up work (migrations) has finished; `/readyz` answers 503 until it has.
public final class Readiness: Sendable {
    private let migrated = Atomic<Bool>(false)

    public init() {}

    public var isMigrated: Bool { migrated.load(ordering: .acquiring) }

    public func markMigrated() { migrated.store(true, ordering: .releasing) }

    /// Waits (polling; only ever during start-up) until migrations are done, `timeout`
    /// passes, or the task is cancelled (a failed start-up must not keep anything spinning).
    public func waitUntilMigrated(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isMigrated {
            guard ContinuousClock.now < deadline else { return false }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return false }
        }
        return true
    }
}

/// Holds API requests that arrive while the server is still migrating, instead of letting them
/// fail on tables that do not exist yet.
struct ReadinessGate: RouterMiddleware {
    typealias Context = CRMRequestContext

    let readiness: Readiness

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !readiness.isMigrated {
            guard await readiness.waitUntilMigrated(timeout: .seconds(30)) else {
                throw APIError(.internalError, "the server is still starting; retry shortly")
            }
        }
        return try await next(request, context)
    }
}
