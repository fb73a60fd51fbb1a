import Foundation
import PostgresNIO
import Synchronization

/// The identity a database session acts as, read by the row-level security policies through
/// `crm_current_org()` (`app.org_id`) and `crm_current_user()` (`app.user_id`).
public struct TenantScope: Sendable, Hashable {
    public var organizationID: UUID?
    public var userID: UUID?
    /// The workflow worker, which claims queued jobs of every tenant (`app.worker`; only the
    /// job queue's policy honours it).
    public var worker: Bool

    public init(organizationID: UUID? = nil, userID: UUID? = nil, worker: Bool = false) {
        self.organizationID = organizationID
        self.userID = userID
        self.worker = worker
    }

    /// No tenant: row-level security shows no tenant rows at all.
    public static let none = TenantScope()

    /// Acts as this scope for the rest of the caller's transaction only (`set_config(…, true)`),
    /// for a transaction that learns whom it acts for half-way (a refresh token names its
    /// user). At commit or rollback the session's own scope is back, as `ConnectionScopes`
    /// remembers it.
    func applyLocally(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            SELECT set_config('app.org_id', \(organizationID?.text ?? ""), true), set_config('app.user_id', \(userID?.text ?? ""), true),
                   set_config('app.worker', \(worker ? "on" : ""), true)
            """, logger: logger)
    }
}

/// Remembers which scope each pooled connection's session is set to, so that a query for the
/// same tenant as the connection's last one needs no extra round trip.
///
/// Why session settings (`set_config(…, false)`) rather than `SET LOCAL` per transaction: a
/// read then costs one round trip instead of four (BEGIN, SET, SELECT, COMMIT). The setting is
/// always brought in line with the wanted scope before any query runs on the connection, and
/// it is made outside any transaction, so a rollback cannot silently revert it.
final class ConnectionScopes: Sendable {
    private let scopes = Mutex<[PostgresConnection.ID: TenantScope]>([:])

    func ensure(_ scope: TenantScope, on connection: PostgresConnection, logger: Logger) async throws {
        let current = scopes.withLock { $0[connection.id] }
        guard current != scope else { return }
        scopes.withLock { _ = $0.removeValue(forKey: connection.id) }
        let org = scope.organizationID?.text ?? ""
        let user = scope.userID?.text ?? ""
        let worker = scope.worker ? "on" : ""
        try await connection.query(
            """
            SELECT set_config('app.org_id', \(org), false), set_config('app.user_id', \(user), false),
                   set_config('app.worker', \(worker), false)
            """, logger: logger)
        scopes.withLock { $0[connection.id] = scope }
    }

    /// Forget a connection whose session state is unknown (an error mid-way).
    func forget(_ connection: PostgresConnection) {
        scopes.withLock { _ = $0.removeValue(forKey: connection.id) }
    }
}
