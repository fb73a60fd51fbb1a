/// What a plugin says about itself: identity, the plugins it needs, the permissions it
/// declares, and whether new organizations start with it enabled.
public struct PluginManifest: Sendable, Equatable {
    /// Unique id, lower-case (`contacts`, `deals`). Also the owner of its migrations.
    public var id: String
    public var name: String
    public var version: String
    public var summary: String
    /// Ids of the plugins that must be registered (and, per tenant, enabled) before this one.
    public var dependsOn: [String]
    /// The permissions the plugin's routes check, each with the least role that holds it
    /// (`deals.read` for viewers, `deals.write` for members). The kernel's record routes of the
    /// plugin's entities require `<id>.read` and `<id>.write`.
    public var permissions: [Permission]
    public var enabledByDefault: Bool
    /// The entity collections (path names) the plugin serves, e.g. `contacts`, `companies`.
    public var entities: [String]
    /// Part of the product's core (always on, not listed under `/plugins`).
    public var hidden: Bool

    public init(
        id: String, name: String, version: String, summary: String,
        dependsOn: [String] = [], permissions: [Permission] = [], enabledByDefault: Bool = true, entities: [String] = [],
        hidden: Bool = false
    ) {
        self.entities = entities
        self.hidden = hidden
        self.id = id
        self.name = name
        self.version = version
        self.summary = summary
        self.dependsOn = dependsOn
        self.permissions = permissions
        self.enabledByDefault = enabledByDefault
    }
}

extension PluginManifest {
    /// The usual pair: `<id>.read` for viewers, `<id>.write` for members.
    public static func readWrite(_ id: String) -> [Permission] {
        [Permission("\(id).read", minimumRole: .viewer), Permission("\(id).write", minimumRole: .member)]
    }
}
