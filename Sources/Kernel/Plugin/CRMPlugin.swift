import ServiceLifecycle
import Synchronization

/// A module that adds capability to the kernel: its manifest, the SQL migrations it owns, and
/// what it registers (entity schemas, routes, hook handlers) when the server is built.
public protocol CRMPlugin: Sendable {
    var manifest: PluginManifest { get }
    /// Ordered migrations; once applied, a migration must never change (its checksum is kept).
    var migrations: [Migration] { get }
    /// Declares the plugin's entities, routes and hook handlers.
    func register(into registrar: PluginRegistrar)
}

extension CRMPlugin {
    public var migrations: [Migration] { [] }
    public func register(into registrar: PluginRegistrar) {}
}

/// What a plugin registers into while the server is built: its own routes under `/api/v1`
/// (gated by the kernel: authentication, permissions, per-tenant enablement) and the kernel's
/// services. It grows with the kernel (entity schemas, hooks); plugins only ever see this.
public struct PluginRegistrar {
    public let pluginID: String
    public let routes: APIRoutes
    public let services: KernelServices
    let background: BackgroundServices

    init(pluginID: String, routes: APIRoutes, services: KernelServices, background: BackgroundServices) {
        self.pluginID = pluginID
        self.routes = routes
        self.services = services
        self.background = background
    }

    /// Runs `service` with the server (started and shut down gracefully with it).
    public func run(_ service: any Service) {
        background.add(service)
    }
}

/// Services plugins start with the server (workers, listeners).
final class BackgroundServices: Sendable {
    private let list = Mutex<[any Service]>([])
    func add(_ service: any Service) { list.withLock { $0.append(service) } }
    var all: [any Service] { list.withLock { $0 } }
}

extension PluginRegistrar {
    /// Declares an entity: the record store serves all of API.md's record calls for it.
    public func entity(_ schema: EntitySchema) {
        services.schemas.add(schema)
        RecordRoutes(schema: schema, store: services.records).register(on: routes)
    }

    /// Makes this plugin the provider of custom fields: their definitions and the evaluation of
    /// their expressions (one provider; tenants have custom fields while it is enabled).
    public func provideCustomFields(_ provider: any CustomFieldProvider) {
        services.customFields.set(provider, pluginID: pluginID)
    }

    /// Subscribes to a hook event (e.g. `deals.beforeSave`); runs only for tenants that have
    /// this plugin enabled.
    public func on(_ event: String, order: Int = 100, _ handler: @escaping HookBus.Handler) {
        services.hooks.on(event, order: order, pluginID: pluginID, handler)
    }

    /// Work for every new organization, in its creating transaction (e.g. a default pipeline).
    public func onOrganizationCreated(_ step: @escaping OrganizationSetup.Step) {
        services.organizationSetup.add(step)
    }
}
