import Foundation
import PostgresNIO
import Synchronization

/// The one hook system native plugins and scripts share. Handlers subscribe to an event name
/// (or to every event, as the Lua runtime does) with an order; they run in (order, plugin id,
/// registration) order, inside the write's transaction, and only for tenants that have the
/// handler's plugin enabled.
public final class HookBus: Sendable {
    public typealias Handler = @Sendable (inout HookEvent, PostgresConnection) async throws -> Void

    struct Subscription: Sendable {
        let event: String?  // nil: every event
        let order: Int
        let pluginID: String
        let sequence: Int
        let handler: Handler
    }

    private let subscriptions = Mutex<[Subscription]>([])

    public init() {}

    /// Subscribes `handler` to `event` (e.g. `deals.beforeSave`).
    public func on(_ event: String, order: Int = 100, pluginID: String, _ handler: @escaping Handler) {
        subscriptions.withLock {
            $0.append(Subscription(event: event, order: order, pluginID: pluginID, sequence: $0.count, handler: handler))
        }
    }

    /// Subscribes `handler` to every event (the scripting runtime decides per tenant).
    public func onEvery(order: Int = 1000, pluginID: String, _ handler: @escaping Handler) {
        subscriptions.withLock {
            $0.append(Subscription(event: nil, order: order, pluginID: pluginID, sequence: $0.count, handler: handler))
        }
    }

    /// Whether any handler could run for events of `entity` (a write without handlers can skip
    /// its transaction).
    public func hasHandlers(forEntity entity: String) -> Bool {
        subscriptions.withLock { list in
            list.contains { $0.event == nil || $0.event?.hasPrefix(entity + ".") == true }
        }
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
