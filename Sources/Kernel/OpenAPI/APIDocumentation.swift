import HTTPTypes
import OpenAPIKit
import Synchronization

/// Everything the OpenAPI document is built from, collected while the server is built: each
/// route with its operation (registered by `APIRoutes` and the service routes), the named
/// schemas routes refer to (`APISchema.ref`), and tag descriptions. Filled at start-up, read
/// afterwards.
public final class APIDocumentation: Sendable {
    struct Route: Sendable {
        let method: HTTPRequest.Method
        /// The router's path (`/api/v1/pipelines/:id`).
        let path: String
        /// The plugin whose route this is (nil: the kernel's, always documented).
        let pluginID: String?
        /// Nil for a route anyone may call.
        let permission: Permission?
        let operation: APIOperation
    }

    struct Component: Sendable {
        let pluginID: String?
        let schema: JSONSchema
    }

    private let routeList = Mutex<[Route]>([])
    private let componentMap = Mutex<OrderedDictionary<String, Component>>([:])
    private let tagMap = Mutex<OrderedDictionary<String, String>>([:])

    init() {}

    var routes: [Route] { routeList.withLock { $0 } }
    var components: OrderedDictionary<String, Component> { componentMap.withLock { $0 } }
    var tags: OrderedDictionary<String, String> { tagMap.withLock { $0 } }

    func add(_ route: Route) { routeList.withLock { $0.append(route) } }

    /// Names a schema that operations refer to with `APISchema.ref(name)`; a plugin's schemas
    /// appear only in the views where the plugin does.
    public func schema(_ name: String, _ schema: JSONSchema, pluginID: String? = nil) {
        componentMap.withLock { $0[name] = Component(pluginID: pluginID, schema: schema) }
    }

    /// Describes a tag (operations name theirs; plugin tags are described from the manifest).
    public func tag(_ name: String, _ description: String) {
        tagMap.withLock { $0[name] = description }
    }

    /// The methods the router serves `path` with (a concrete path, matched against the routes'
    /// templates: `:id` and `{id}` stand for any one segment, `**` for the rest), for a 405's
    /// `Allow`.
    public func methods(servingPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        // As the router does, a literal segment wins over a parameter (`/invitations/accept`
        // is not `/invitations/:id`): only the most specific matching templates count.
        var best: [Bool] = []
        var methods: [HTTPRequest.Method] = []
        for route in routes {
            guard let literals = Self.match(route.path.split(separator: "/"), segments) else { continue }
            if literals.lexicographicallyPrecedes(best, by: { !$0 && $1 }) { continue }
            if best.lexicographicallyPrecedes(literals, by: { !$0 && $1 }) || best.isEmpty && methods.isEmpty {
                best = literals
                methods = []
            }
            if !methods.contains(route.method) { methods.append(route.method) }
        }
        return methods
    }

    /// For each template segment, whether it matched literally; nil when the path does not match.
    static func match(_ template: [Substring], _ segments: [Substring]) -> [Bool]? {
        var literals: [Bool] = []
        for (index, part) in template.enumerated() {
            if part == "**" { return literals }
            guard index < segments.count else { return nil }
            if part.hasPrefix(":") || part.hasPrefix("{") || part == "*" {
                literals.append(false)
                continue
            }
            guard part == segments[index] else { return nil }
            literals.append(true)
        }
        return template.count == segments.count ? literals : nil
    }

    /// The service routes outside `/api/v1` (health, metrics, the document and its page, the
    /// admin console).
    public func document(_ method: HTTPRequest.Method, _ path: String, _ operation: APIOperation) {
        add(Route(method: method, path: path, pluginID: nil, permission: nil, operation: operation))
    }
}
