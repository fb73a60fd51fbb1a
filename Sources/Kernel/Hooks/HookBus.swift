import Foundation
import PostgresNIO
import Synchronization

/// The one hook system native plugins and scripts share. Handlers subscribe to an event name
/// (or to every event, as the Lua runtime does) with an order; they run in (order, plugin id,
/// registration) order, inside the write's transaction, and only for tenants that have the
/// handler's plugin enabled.
public final class HookBus: Sendable {
    public typealias Handler = @Sendable (inout HookEvent, PostgresConnection) async throws -> Void
    /// Whether a handler subscribed to every event acts on `event` for an organization (the
    /// scripting runtime: only if one of the tenant's scripts handles it).
    public typealias Interest = @Sendable (_ event: String, _ organizationID: UUID) async throws -> Bool

    struct Subscription: Sendable {
        let event: String?  // nil: every event
        let order: Int
        let pluginID: String
        let sequence: Int
        let interest: Interest?
        let handler: Handler
    }

    private let subscriptions = Mutex<[Subscription]>([])

    public init() {}

    /// Subscribes `handler` to `event` (e.g. `deals.beforeSave`).
    public func on(_ event: String, order: Int = 100, pluginID: String, _ handler: @escaping Handler) {
        subscriptions.withLock {
            $0.append(Subscription(event: event, order: order, pluginID: pluginID, sequence: $0.count, interest: nil, handler: handler))
        }
    }

    /// Subscribes `handler` to every event (the scripting runtime decides per tenant, and says
    /// in advance through `interest`, if given, which events it will act on).
    public func onEvery(order: Int = 1000, pluginID: String, interest: Interest? = nil, _ handler: @escaping Handler) {
        subscriptions.withLock {
            $0.append(Subscription(event: nil, order: order, pluginID: pluginID, sequence: $0.count, interest: interest, handler: handler))
        }
    }

    /// Whether any handler would act on one of `events` for the organization: when none would,
    /// a write that is a single statement needs no transaction around it, nor the hooks' work.
    public func watches(_ events: [String], organizationID: UUID, enabled: [String: Bool]) async throws -> Bool {
        let candidates = subscriptions.withLock { list in
            list.filter { enabled[$0.pluginID] != false && ($0.event == nil || events.contains($0.event!)) }
        }
        for subscription in candidates {
            guard subscription.event == nil, let interest = subscription.interest else { return true }
            for event in events where try await interest(event, organizationID) { return true }
        }
        return false
    }

    /// Runs the handlers of `event.name` whose plugin is enabled (`enabled[pluginID]`; plugins
    /// not listed, such as the kernel's own, always run).
    public func run(_ event: inout HookEvent, enabled: [String: Bool], on connection: PostgresConnection) async throws {
        let name = event.name
        let handlers = subscriptions.withLock { list in
            list.filter { ($0.event == nil || $0.event == name) && enabled[$0.pluginID] != false }
                .sorted { ($0.order, $0.pluginID, $0.sequence) < ($1.order, $1.pluginID, $1.sequence) }
        }
        for subscription in handlers {
            try await subscription.handler(&event, connection)
        }
    }
}
