import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// Builds the HTTP application of the kernel and its plugins: the middleware chain (ids,
/// security headers, metrics, logs, CORS, problem rendering), the service endpoints, and
/// start-up work (migrations) as services of the application's service group.
public struct CRMServer: Sendable {
    public let configuration: CRMConfiguration
    public let registry: PluginRegistry
    public let database: Database
    public let prometheus: PrometheusCollectorRegistry
    public let logger: Logger
    public let readiness = Readiness()

    public init(
        configuration: CRMConfiguration, registry: PluginRegistry, database: Database,
        prometheus: PrometheusCollectorRegistry, logger: Logger
    ) {
        self.configuration = configuration
        self.registry = registry
        self.database = database
        self.prometheus = prometheus
        self.logger = logger
    }

    /// Every migration of the server: the kernel's first, then each plugin's in dependency order.
    public static func migrationSets(for registry: PluginRegistry) -> [MigrationSet] {
        [MigrationSet(owner: "kernel", migrations: KernelMigrations.all)]
            + registry.plugins.map { MigrationSet(owner: $0.manifest.id, migrations: $0.migrations) }
    }

    public func makeRouter() -> Router<CRMRequestContext> {
        let router = Router(context: CRMRequestContext.self)
        // Outermost first: every response, errors included, gets an id and the security headers.
        router.addMiddleware {
            SecurityHeadersMiddleware()
            RequestIDMiddleware()
            MetricsMiddleware<CRMRequestContext>()
            LogRequestsMiddleware<CRMRequestContext>(.info, redactHeaders: [.authorization, .cookie])
            AllowedOriginsMiddleware(origins: configuration.corsOrigins)
            ProblemMiddleware()
        }
        ServiceRoutes(database: database, readiness: readiness, prometheus: prometheus).register(on: router)
        for plugin in registry.plugins {
            plugin.register(into: PluginRegistrar(pluginID: plugin.manifest.id))
        }
        return router
    }

    public func makeApplication() -> some ApplicationProtocol {
        let startup = StartupService(
            migrator: Migrator(client: database.client, logger: logger),
            sets: Self.migrationSets(for: registry),
            readiness: readiness)
        let logger = self.logger
        return Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [database.client, startup],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["address": "http://\(configuration.host):\(port)"])
            },
            logger: logger)
    }
}
