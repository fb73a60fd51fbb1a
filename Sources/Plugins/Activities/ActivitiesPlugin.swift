import Kernel

/// Tasks, calls, meetings, notes and emails linked to deals, contacts and companies.
public struct ActivitiesPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "activities", name: "Activities", version: "1.0.0",
        summary: "Tasks, calls, meetings, notes and emails",
        dependsOn: ["contacts"],
        permissions: ["activities.read", "activities.write"],
        entities: ["activities"])
}
