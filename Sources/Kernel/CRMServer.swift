import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// Builds the HTTP application of the kernel and its plugins: the middleware chain (ids,
/// security headers, metrics, logs, CORS, problem rendering, authentication and rate limits),
/// the service endpoints, the kernel's API, each plugin's routes, and start-up work
/// (migrations, the tenant-change listener) as services of the application's service group.
public struct CRMServer: Sendable {
    public let services: KernelServices
    public let prometheus: PrometheusCollectorRegistry
    public var readiness: Readiness { services.readiness }
    let background = BackgroundServices()
    /// CSV imports: their routes, the worker, and the `crm import` command.
    public let imports: Imports
    /// Routes outside the API that the host adds (the admin console), with its pages' prefix
    /// for the page security policy.
    public var pages: [@Sendable (Router<CRMRequestContext>, APIDocumentation) -> Void] = []

    public var configuration: CRMConfiguration { services.configuration }
    public var registry: PluginRegistry { services.registry }
    public var database: Database { services.database }
    public var logger: Logger { services.logger }

    public init(
        configuration: CRMConfiguration, registry: PluginRegistry, database: Database,
        prometheus: PrometheusCollectorRegistry
    ) async {
        self.services = await KernelServices(configuration: configuration, registry: registry, database: database)
        self.prometheus = prometheus
        self.imports = Imports(database: database, records: services.records, schemas: services.schemas)
    }

    /// Every migration of the server: the kernel's first, then each plugin's in dependency order.
    public static func migrationSets(for registry: PluginRegistry) -> [MigrationSet] {
        [MigrationSet(owner: "kernel", migrations: KernelMigrations.all)]
            + registry.plugins.map { MigrationSet(owner: $0.manifest.id, migrations: $0.migrations) }
    }

    public func makeRouter() -> Router<CRMRequestContext> {
        let router = Router(context: CRMRequestContext.self)
        let methodsServing: @Sendable (String) -> [HTTPRequest.Method] = { [documentation = services.documentation] in
            documentation.methods(servingPath: $0)
        }
        // Outermost first: every response, errors included, gets an id and the security headers.
        router.addMiddleware {
            SecurityHeadersMiddleware(pagePrefixes: ["/docs", "/admin"])
            RequestIDMiddleware()
            ClientAddressMiddleware(resolver: ClientAddressResolver(trustedProxies: configuration.trustedProxies))
            MetricsMiddleware<CRMRequestContext>()
            RequestLogMiddleware()
            AllowedOriginsMiddleware(origins: configuration.corsOrigins)
            ProblemMiddleware(methodsServing: methodsServing)
            AuthMiddleware(
                accessTokens: services.accessTokens, apiKeys: services.apiKeys, memberships: services.memberships,
                methodsServing: methodsServing,
                apiLimiter: RateLimiter(perMinute: configuration.rateLimitAPI))
        }
        ServiceRoutes(
            database: database, readiness: readiness, prometheus: prometheus, documentation: services.documentation
        ).register(on: router)
        for page in pages { page(router, services.documentation) }

        let prefix = "/api/v1"
        let authLimiter = RateLimiter(perMinute: configuration.rateLimitAuth)
        let api = router.group(RouterPath(prefix))
            .add(middleware: ReadinessGate(readiness: readiness))
            .add(middleware: QueryTextMiddleware())
        let kernelRoutes = APIRoutes(
            group: api, prefix: prefix, pluginID: nil, pluginStates: services.pluginStates,
            documentation: services.documentation, authLimiter: authLimiter)
        KernelSchemas.register(into: services.documentation)
        AuthRoutes(services: services).register(on: kernelRoutes)
        OAuthRoutes(services: services).register(on: kernelRoutes)
        OrganizationRoutes(services: services).register(on: kernelRoutes)
        MemberRoutes(services: services).register(on: kernelRoutes)
        InvitationRoutes(services: services).register(on: kernelRoutes)
        APIKeyRoutes(services: services).register(on: kernelRoutes)
        PluginRoutes(services: services).register(on: kernelRoutes)
        TagRoutes(services: services).register(on: kernelRoutes)
        InsightRoutes(services: services).register(on: kernelRoutes)
        OpenAPIRoutes(services: services).register(on: kernelRoutes, router: router)
        for plugin in registry.plugins {
            let routes = APIRoutes(
                group: api, prefix: prefix, pluginID: plugin.manifest.id, pluginStates: services.pluginStates,
                documentation: services.documentation, authLimiter: authLimiter, declaredPermissions: plugin.manifest.permissions)
            plugin.register(into: PluginRegistrar(
                pluginID: plugin.manifest.id, routes: routes, services: services, background: background))
        }
        SearchRoutes(services: services).register(on: kernelRoutes)
        ImportRoutes(services: services, imports: imports).register(on: kernelRoutes)
        background.add(ImportWorker(imports: imports, readiness: readiness))
        return router
    }

    public func makeApplication() -> some ApplicationProtocol {
        let startup = StartupService(
            migrator: Migrator(client: database.client, logger: logger),
            sets: Self.migrationSets(for: registry),
            readiness: readiness, checkDurability: configuration.mode == .production)
        let changes = services.tenantChanges
        let listener = TenantChangeListener(
            database: database, states: services.pluginStates, memberships: services.memberships
        ) { changes.changed($0) }
        let logger = self.logger
        let host = configuration.host
        let router = makeRouter()
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.httpIdleTimeoutSeconds)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [database, startup, listener] + background.all,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["address": "http://\(host):\(port)"])
            },
            logger: logger)
    }
}
