import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Which plugins each organization has enabled, with their configuration: cached per tenant in
/// this process, and invalidated on change in every process through PostgreSQL
/// `LISTEN/NOTIFY` on `crm_tenant_changed` (payload: the organization id).
public final class PluginStates: Sendable {
    public struct Tenant: Sendable {
        public var enabled: [String: Bool]
        public var config: [String: JSONValue]
    }

    public static let channel = "crm_tenant_changed"

    let database: Database
    let registry: PluginRegistry
    private let cache = Mutex<[UUID: Tenant]>([:])

    public init(database: Database, registry: PluginRegistry) {
        self.database = database
        self.registry = registry
    }

    public func isEnabled(_ pluginID: String, for organizationID: UUID) async throws -> Bool {
        try await tenant(organizationID).enabled[pluginID] ?? false
    }

    /// The tenant's settings, from the cache or the database. A plugin without a row (added to
    /// the product after the organization was created) has its manifest's default.
    public func tenant(_ organizationID: UUID) async throws -> Tenant {
        if let cached = cache.withLock({ $0[organizationID] }) { return cached }
        var tenant = Tenant(enabled: [:], config: [:])
        for plugin in registry.plugins {
            tenant.enabled[plugin.manifest.id] = plugin.manifest.enabledByDefault
        }
        try await database.withScope(TenantScope(organizationID: organizationID)) { connection in
            let rows = try await connection.query(
                "SELECT plugin_id, enabled, config::text FROM tenant_plugins WHERE org_id = \(organizationID)",
                logger: database.logger)
            for try await (plugin, enabled, config) in rows.decode((String, Bool, String).self) {
                tenant.enabled[plugin] = enabled
                tenant.config[plugin] = JSONValue.parse(config) ?? .object([:])
            }
        }
        cache.withLock { $0[organizationID] = tenant }
        return tenant
    }

    /// Writes the default enablement for a new organization (inside its creating transaction).
    public func seedDefaults(for organizationID: UUID, on connection: PostgresConnection) async throws {
        for plugin in registry.plugins {
            try await connection.query(
                """
                INSERT INTO tenant_plugins (org_id, plugin_id, enabled) VALUES (\(organizationID), \(plugin.manifest.id), \(plugin.manifest.enabledByDefault))
                ON CONFLICT DO NOTHING
                """, logger: database.logger)
        }
    }

    /// Tells every process (this one included, at commit) that the tenant's settings changed.
    public func notifyChanged(_ organizationID: UUID, on connection: PostgresConnection) async throws {
        try await Self.notifyChanged(organizationID, on: connection, logger: database.logger)
    }

    /// The same for code that holds only a connection (scripts, custom fields).
    public static func notifyChanged(_ organizationID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(organizationID.text))", logger: logger)
    }

    public func invalidate(_ organizationID: UUID) {
        _ = cache.withLock { $0.removeValue(forKey: organizationID) }
    }

    public func invalidateAll() {
        cache.withLock { $0.removeAll() }
    }
}

/// Listens for `crm_tenant_changed` notifications and drops the tenant's cached state: its
/// settings (payload: the organization id) or its members' roles (`members:<id>`). While the
/// listening connection is down, notifications may be missed: every (re)connect clears the
/// caches, and member roles are not cached at all until the listener is back.
public struct TenantChangeListener: Service {
    let database: Database
    let states: PluginStates
    let memberships: MembershipRoles
    /// Other caches keyed by tenant (scripts, custom fields) register here.
    let onChange: @Sendable (UUID?) -> Void

    public init(
        database: Database, states: PluginStates, memberships: MembershipRoles, onChange: @escaping @Sendable (UUID?) -> Void = { _ in }
    ) {
        self.database = database
        self.states = states
        self.memberships = memberships
        self.onChange = onChange
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await database.client.withConnection { connection in
                        try await connection.listen(on: PluginStates.channel) { notifications in
                            // Listening now: what changed before is unknown, so drop it all.
                            states.invalidateAll()
                            memberships.invalidateAll(listening: true)
                            onChange(nil)
                            for try await notification in notifications {
                                let payload = notification.payload
                                if payload.hasPrefix(MembershipRoles.notificationPrefix) {
                                    if let id = UUID(text: String(payload.dropFirst(MembershipRoles.notificationPrefix.count))) {
                                        memberships.invalidate(id)
                                    }
                                } else if let id = UUID(text: payload) {
                                    states.invalidate(id)
                                    onChange(id)
                                }
                            }
                        }
                    }
                    // The notifications ended without an error: not listening any more either.
                    memberships.invalidateAll(listening: false)
                } catch {
                    memberships.invalidateAll(listening: false)
                    if Task.isCancelled { return }
                    database.logger.warning("tenant change listener reconnecting", metadata: ["error": "\(PostgresErrorText.describe(error))"])
                    states.invalidateAll()
                    onChange(nil)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
