import Kernel

/// Per-tenant typed custom fields on every entity, with Lua validation and formulas.
public struct CustomFieldsPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "customfields", name: "Custom fields", version: "1.0.0",
        summary: "Per-tenant custom fields with validation and formulas",
        permissions: ["customfields.read", "customfields.write"],
        entities: ["custom-fields"])
}
