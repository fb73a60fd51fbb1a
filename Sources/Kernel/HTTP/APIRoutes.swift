import Foundation
import Hummingbird

/// How routes are declared: each names the permission it needs, and the kernel checks, in this
/// one place, that the caller is authenticated (401), holds the permission (403) and — for a
/// plugin's routes — that the plugin is enabled for the caller's organization (404
/// `plugin_disabled`), before the handler runs.
public struct APIRoutes {
    public typealias Handler = @Sendable (Request, CRMRequestContext, Principal) async throws -> Response

    let group: RouterGroup<CRMRequestContext>
    /// The plugin whose routes these are, or nil for the kernel's.
    let pluginID: String?
    let pluginStates: PluginStates

    init(group: RouterGroup<CRMRequestContext>, pluginID: String?, pluginStates: PluginStates) {
        self.group = group
        self.pluginID = pluginID
        self.pluginStates = pluginStates
    }

    public func get(_ path: RouterPath, requires permission: Permission, _ handler: @escaping Handler) {
        on(path, .get, permission, handler)
    }
    public func post(_ path: RouterPath, requires permission: Permission, _ handler: @escaping Handler) {
        on(path, .post, permission, handler)
    }
    public func put(_ path: RouterPath, requires permission: Permission, _ handler: @escaping Handler) {
        on(path, .put, permission, handler)
    }
    public func patch(_ path: RouterPath, requires permission: Permission, _ handler: @escaping Handler) {
        on(path, .patch, permission, handler)
    }
    public func delete(_ path: RouterPath, requires permission: Permission, _ handler: @escaping Handler) {
        on(path, .delete, permission, handler)
    }

    /// A route anyone may call (register, login, OAuth).
    public func anonymous(
        _ path: RouterPath, _ method: HTTPRequest.Method,
        _ handler: @escaping @Sendable (Request, CRMRequestContext) async throws -> Response
    ) {
        group.on(path, method: method) { request, context in try await handler(request, context) }
    }

    func on(_ path: RouterPath, _ method: HTTPRequest.Method, _ permission: Permission, _ handler: @escaping Handler) {
        let pluginID = self.pluginID
        let pluginStates = self.pluginStates
        group.on(path, method: method) { request, context in
            guard let principal = context.principal else { throw APIError.unauthorized() }
            try principal.require(permission)
            if let pluginID, try await !pluginStates.isEnabled(pluginID, for: principal.organizationID) {
                throw APIError(.pluginDisabled, "the \(pluginID) plugin is disabled for this organization")
            }
            return try await handler(request, context, principal)
        }
    }
}

extension CRMRequestContext {
    /// A path parameter that must be a UUID; anything else is a 404 (no such resource).
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else {
            throw APIError.notFound("no \(name) '\(parameters.get(name) ?? "")'")
        }
        return id
    }
}
