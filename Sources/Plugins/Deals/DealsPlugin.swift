import Kernel

/// Pipelines with ordered stages, and the deals that move through them.
public struct DealsPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "deals", name: "Deals", version: "1.0.0",
        summary: "Pipelines, stages and deals",
        dependsOn: ["contacts"],
        permissions: PluginManifest.readWrite("deals"),
        entities: ["pipelines", "deals"])

    public var migrations: [Migration] { [DealsMigrations.tables, DealsMigrations.insights, DealsMigrations.counters, DealsMigrations.sortIndexes, DealsMigrations.searchTerms, DealsMigrations.sortSlots] }

    public func register(into registrar: PluginRegistrar) {
        registrar.entity(DealSchema.schema)
        DealsDocs.register(registrar.services.documentation)
        let pipelines = Pipelines(services: registrar.services)
        registrar.onOrganizationCreated { organizationID, _, connection in
            try await pipelines.createDefault(for: organizationID, on: connection)
        }
        let rules = DealRules(services: registrar.services, pipelines: pipelines)
        registrar.on("deals.beforeSave", order: 10) { event, connection in
            try await rules.resolveStage(&event, on: connection)
        }
        registrar.on("deals.afterSave", order: 10) { event, connection in
            try await rules.trackStage(event, on: connection)
        }
        PipelineRoutes(services: registrar.services, pipelines: pipelines).register(on: registrar.routes)
        DealMoveRoute(services: registrar.services).register(on: registrar.routes)
        DealInsights(services: registrar.services, pipelines: pipelines).register(into: registrar)
    }
}
