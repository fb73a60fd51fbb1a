import Kernel

/// Pipelines with ordered stages, and the deals that move through them.
public struct DealsPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "deals", name: "Deals", version: "1.0.0",
        summary: "Pipelines, stages and deals",
        dependsOn: ["contacts"],
        permissions: ["deals.read", "deals.write"],
        entities: ["pipelines", "deals"])
}
