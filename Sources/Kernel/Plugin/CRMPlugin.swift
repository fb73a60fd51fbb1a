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

/// What a plugin registers into while the server is built. It grows with the kernel's
/// capabilities (entities, routes, hooks); plugins only ever see this, never the server.
public final class PluginRegistrar: @unchecked Sendable {
    // @unchecked: used only during single-threaded start-up, before the server shares anything.
    public let pluginID: String

    public init(pluginID: String) {
        self.pluginID = pluginID
    }
}
