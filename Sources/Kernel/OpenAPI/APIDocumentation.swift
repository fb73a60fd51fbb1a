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
        var methods: [HTTPRequest.Method] = []
        for route in routes where !methods.contains(route.method) {
            if Self.matches(route.path.split(separator: "/"), segments) { methods.append(route.method) }
        }
        return methods
    }

    static func matches(_ template: [Substring], _ segments: [Substring]) -> Bool {
        for (index, part) in template.enumerated() {
            if part == "**" { return true }
            guard index < segments.count else { return false }
            if part.hasPrefix(":") || part.hasPrefix("{") || part == "*" { continue }
            if part != segments[index] { return false }
        }
        return template.count == segments.count
    }

    /// The service routes outside `/api/v1` (health, metrics, the document and its page).
    func document(_ method: HTTPRequest.Method, _ path: String, _ operation: APIOperation) {
        add(Route(method: method, path: path, pluginID: nil, permission: nil, operation: operation))
    }
}
