import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Each member's current role, checked on every request made with an access token: a token
/// carries the role it was issued with, but API.md's revocation is immediate — a removed
/// member's token stops working and a changed role applies on the very next request, on every
/// process. So the role comes from here, not from the token.
///
/// Cached per process and kept truthful by PostgreSQL: a trigger on `memberships` notifies
/// `crm_tenant_changed` with `members:<org id>` on every insert, update and delete (cascades
/// from a deleted organization or user included), and `TenantChangeListener` drops that
/// organization's entries. The process that made a change also drops them itself at once
/// (`invalidate`), not waiting for its own notification. Nothing is cached while the listener
/// is not connected (a change could go unheard), and a lookup that raced with an invalidation
/// does not store its possibly older answer (`generation`).
public final class MembershipRoles: Sendable {
    /// The payload prefix of membership changes on `PluginStates.channel`.
    public static let notificationPrefix = "members:"
    static let capacity = 100_000

    private struct State {
        var roles: [UUID: [UUID: Role?]] = [:]  // organization → user → role (nil: not a member)
        var count = 0
        var generation = 0
        var listening = false
    }

    let database: Database
    private let state = Mutex(State())

    init(database: Database) {
        self.database = database
    }

    /// The user's role in the organization now; nil when they are not (or no longer) a member.
    public func role(of userID: UUID, in organizationID: UUID) async throws -> Role? {
        let (cached, generation) = state.withLock { state in
            (state.roles[organizationID]?[userID], state.generation)
        }
        if let cached { return cached }
        let role = try await database.withScope(TenantScope(organizationID: organizationID, userID: userID)) { connection -> Role? in
            let rows = try await connection.query(
                "SELECT role FROM memberships WHERE org_id = \(organizationID) AND user_id = \(userID)", logger: database.logger)
            for try await role in rows.decode(String.self) { return Role(rawValue: role) }
            return nil
        }
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.count >= Self.capacity {
                state.roles.removeAll()
                state.count = 0
            }
            if state.roles[organizationID, default: [:]].updateValue(role, forKey: userID) == nil { state.count += 1 }
        }
        return role
    }

    /// Forgets the organization's members (after a change to them).
    public func invalidate(_ organizationID: UUID) {
        state.withLock { state in
            state.generation += 1
            state.count -= state.roles.removeValue(forKey: organizationID)?.count ?? 0
        }
    }

    /// Forgets everything and, until `listening` is true again, caches nothing.
    func invalidateAll(listening: Bool) {
        state.withLock { state in
            state.generation += 1
            state.roles.removeAll()
            state.count = 0
            state.listening = listening
        }
    }
}
