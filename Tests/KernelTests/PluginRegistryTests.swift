import Kernel
import Testing

private struct StubPlugin: CRMPlugin {
    let manifest: PluginManifest
    init(_ id: String, dependsOn: [String] = []) {
        manifest = PluginManifest(id: id, name: id, version: "1", summary: id, dependsOn: dependsOn)
    }
}

@Suite struct PluginRegistryTests {
    @Test func dependenciesComeBeforeTheirDependents() throws {
        let registry = try PluginRegistry([
            StubPlugin("deals", dependsOn: ["contacts"]),
            StubPlugin("reports", dependsOn: ["deals", "activities"]),
            StubPlugin("activities", dependsOn: ["contacts"]),
            StubPlugin("contacts"),
        ])
        #expect(registry.ids == ["contacts", "deals", "activities", "reports"])
    }

    @Test func independentPluginsKeepTheHostsOrder() throws {
        let registry = try PluginRegistry([StubPlugin("b"), StubPlugin("a"), StubPlugin("c")])
        #expect(registry.ids == ["b", "a", "c"])
    }

    @Test func aCycleStopsStartupNamingThePlugins() {
        #expect(throws: PluginRegistryError.cycle(["a", "b", "c", "a"])) {
            try PluginRegistry([StubPlugin("a", dependsOn: ["b"]), StubPlugin("b", dependsOn: ["c"]), StubPlugin("c", dependsOn: ["a"])])
        }
        let message = "\(PluginRegistryError.cycle(["a", "b", "a"]))"
        #expect(message == "plugin dependency cycle: a -> b -> a")
    }

    @Test func aSelfDependencyIsACycle() {
        #expect(throws: PluginRegistryError.cycle(["a", "a"])) {
            try PluginRegistry([StubPlugin("a", dependsOn: ["a"])])
        }
    }

    @Test func aMissingDependencyStopsStartupNamingBoth() {
        #expect(throws: PluginRegistryError.missingDependency(plugin: "deals", dependency: "contacts")) {
            try PluginRegistry([StubPlugin("deals", dependsOn: ["contacts"])])
        }
    }

    @Test func duplicateIDsAreRefused() {
        #expect(throws: PluginRegistryError.duplicateID("contacts")) {
            try PluginRegistry([StubPlugin("contacts"), StubPlugin("contacts")])
        }
    }

    @Test func invalidIDsAreRefused() {
        #expect(throws: PluginRegistryError.invalidID("Bad Id")) {
            try PluginRegistry([StubPlugin("Bad Id")])
        }
    }
}
