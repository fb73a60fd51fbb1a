/// Why the set of plugins cannot start; each description is one line naming the plugins.
public enum PluginRegistryError: Error, Equatable, CustomStringConvertible {
    case invalidID(String)
    case duplicateID(String)
    case missingDependency(plugin: String, dependency: String)
    case cycle([String])

    public var description: String {
        switch self {
        case .invalidID(let id):
            return "plugin id '\(id)' is invalid: use lower-case letters, digits and '-'"
        case .duplicateID(let id):
            return "plugin id '\(id)' is registered twice"
        case .missingDependency(let plugin, let dependency):
            return "plugin '\(plugin)' depends on '\(dependency)', which is not registered"
        case .cycle(let path):
            return "plugin dependency cycle: \(path.joined(separator: " -> "))"
        }
    }
}

/// The validated set of plugins of this server, in dependency order: every plugin comes after
/// the plugins it depends on, and otherwise in the order the host listed them.
public struct PluginRegistry: Sendable {
    public let plugins: [any CRMPlugin]

    public init(_ plugins: [any CRMPlugin]) throws {
        var byID: [String: any CRMPlugin] = [:]
        for plugin in plugins {
            let id = plugin.manifest.id
            guard Self.isValidID(id) else { throw PluginRegistryError.invalidID(id) }
            guard byID[id] == nil else { throw PluginRegistryError.duplicateID(id) }
            byID[id] = plugin
        }
        for plugin in plugins {
            for dependency in plugin.manifest.dependsOn where byID[dependency] == nil {
                throw PluginRegistryError.missingDependency(plugin: plugin.manifest.id, dependency: dependency)
            }
        }
        self.plugins = try Self.dependencyOrder(plugins, byID: byID)
    }

    public var ids: [String] { plugins.map(\.manifest.id) }

    public func plugin(_ id: String) -> (any CRMPlugin)? {
        plugins.first { $0.manifest.id == id }
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, ("a"..."z").contains(first), id.count <= 63 else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Depth-first topological sort; the path on the stack names the cycle when one is found.
    static func dependencyOrder(_ plugins: [any CRMPlugin], byID: [String: any CRMPlugin]) throws -> [any CRMPlugin] {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var ordered: [any CRMPlugin] = []
        var stack: [String] = []

        func visit(_ id: String) throws {
            switch marks[id] {
            case .done: return
            case .visiting:
                let start = stack.firstIndex(of: id) ?? 0
                throw PluginRegistryError.cycle(Array(stack[start...]) + [id])
            case nil: break
            }
            marks[id] = .visiting
            stack.append(id)
            let plugin = byID[id]!  // ids come from byID or from validated dependencies
            for dependency in plugin.manifest.dependsOn { try visit(dependency) }
            stack.removeLast()
            marks[id] = .done
            ordered.append(plugin)
        }

        for plugin in plugins { try visit(plugin.manifest.id) }
        return ordered
    }
}
