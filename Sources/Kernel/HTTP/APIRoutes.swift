import Foundation
import Hummingbird

/// How routes are declared: each names the permission it needs, and the kernel checks, in this
/// one place, that the caller is authenticated (401), holds the permission (403) and — for a
/// plugin's routes — that the plugin is enabled for the caller's organization (404
/// `plugin_disabled`), before the handler runs. Each route also carries its documentation
/// (`APIOperation`), which the OpenAPI document is built from.
public struct APIRoutes {
    public typealias Handler = @Sendable (Request, CRMRequestContext, Principal) async throws -> Response

    let group: RouterGroup<CRMRequestContext>
    /// The plugin whose routes these are, or nil for the kernel's.
    let pluginID: String?
    let pluginStates: PluginStates
    let documentation: APIDocumentation
    /// Per-IP limit of `/auth/*` (API.md, Limits), keyed here from the route that matched, so
    /// every spelling of a path that reaches it (`/api/v1//auth/login`) counts.
    let authLimiter: RateLimiter
    /// The group's path prefix (`/api/v1`), for the document.
    let prefix: String
    /// The tag of the group's operations in the document (default: the plugin's id).
    var tag: String?
    /// The plugin's declared permissions by name (its manifest), which `Permission.declared`
    /// references resolve to.
    let declaredPermissions: [String: Permission]

    init(
        group: RouterGroup<CRMRequestContext>, prefix: String, pluginID: String?, pluginStates: PluginStates,
        documentation: APIDocumentation, authLimiter: RateLimiter, declaredPermissions: [Permission] = []
    ) {
        self.declaredPermissions = Dictionary(declaredPermissions.map { ($0.name, $0) }) { first, _ in first }
        self.group = group
        self.authLimiter = authLimiter
        self.prefix = prefix
        self.pluginID = pluginID
        self.pluginStates = pluginStates
        self.documentation = documentation
        self.tag = pluginID
    }

    /// The same routes, with their operations under `tag` in the document.
    public func tagged(_ tag: String) -> APIRoutes {
        var routes = self
        routes.tag = tag
        return routes
    }

    public func get(_ path: RouterPath, requires permission: Permission, doc: APIOperation, _ handler: @escaping Handler) {
        on(path, .get, permission, doc, handler)
    }
    public func post(_ path: RouterPath, requires permission: Permission, doc: APIOperation, _ handler: @escaping Handler) {
        on(path, .post, permission, doc, handler)
    }
    public func put(_ path: RouterPath, requires permission: Permission, doc: APIOperation, _ handler: @escaping Handler) {
        on(path, .put, permission, doc, handler)
    }
    public func patch(_ path: RouterPath, requires permission: Permission, doc: APIOperation, _ handler: @escaping Handler) {
        on(path, .patch, permission, doc, handler)
    }
    public func delete(_ path: RouterPath, requires permission: Permission, doc: APIOperation, _ handler: @escaping Handler) {
        on(path, .delete, permission, doc, handler)
    }

    /// A route anyone may call (register, login, OAuth).
    public func anonymous(
        _ path: RouterPath, _ method: HTTPRequest.Method, doc: APIOperation,
        _ handler: @escaping @Sendable (Request, CRMRequestContext) async throws -> Response
    ) {
        record(path, method, nil, doc)
        let limit = ipLimit(for: path)
        group.on(path, method: method) { request, context in
            let decision = try limit?(context)
            return try await handler(request, context).adding(decision)
        }
    }

    /// The per-IP check of an `/auth/*` route; nil for the others.
    private func ipLimit(for path: RouterPath) -> (@Sendable (CRMRequestContext) throws -> RateLimiter.Decision)? {
        guard authLimiter.isEnabled, path.description.hasPrefix("/auth/") else { return nil }
        let limiter = authLimiter
        return { context in
            let taken = limiter.take("ip:\(context.clientAddress)")
            guard taken.allowed else { throw APIError.rateLimited(taken) }
            return taken
        }
    }

    private func record(_ path: RouterPath, _ method: HTTPRequest.Method, _ permission: Permission?, _ doc: APIOperation) {
        var operation = doc
        if operation.tag == nil { operation.tag = tag ?? "kernel" }
        documentation.add(.init(
            method: method, path: prefix + path.description, pluginID: pluginID, permission: permission, operation: operation))
    }

    /// A declared permission resolved from the manifest; a kernel permission as it is. A route
    /// that requires what its plugin does not declare is a programming error: start-up stops.
    func resolve(_ permission: Permission, for path: RouterPath) -> Permission {
        guard permission.isReference else { return permission }
        guard let declared = declaredPermissions[permission.name] else {
            preconditionFailure(
                "route \(path) of \(pluginID ?? "the kernel") requires '\(permission.name)', which its manifest does not declare")
        }
        return declared
    }

    func on(
        _ path: RouterPath, _ method: HTTPRequest.Method, _ permission: Permission, _ doc: APIOperation,
        _ handler: @escaping Handler
    ) {
        let permission = resolve(permission, for: path)
        record(path, method, permission, doc)
        let pluginID = self.pluginID
        let pluginStates = self.pluginStates
        let limit = ipLimit(for: path)
        group.on(path, method: method) { request, context in
            let decision = try limit?(context)
            guard let principal = context.principal else { throw APIError.unauthorized() }
            try principal.require(permission)
            if let pluginID, try await !pluginStates.isEnabled(pluginID, for: principal.organizationID) {
                throw APIError(.pluginDisabled, "the \(pluginID) plugin is disabled for this organization")
            }
            return try await handler(request, context, principal).adding(decision)
        }
    }
}

extension Response {
    /// The response with a rate-limit decision's headers (replacing those of another limit).
    func adding(_ decision: RateLimiter.Decision?) -> Response {
        guard let decision else { return self }
        var response = self
        for field in decision.headers { response.headers[field.name] = field.value }
        return response
    }
}

extension CRMRequestContext {
    /// A path parameter that must be a UUID; anything else is a 404 (no such resource).
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(text: raw) else {
            throw APIError.notFound("no \(name) '\(parameters.get(name) ?? "")'")
        }
        return id
    }
}
