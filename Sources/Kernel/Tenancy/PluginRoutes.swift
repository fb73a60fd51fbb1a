import Foundation
import Hummingbird
import PostgresNIO

/// `/plugins`: the plugins of this server as the caller's organization has them, and turning
/// them on or off (with the dependency rules of API.md) and configuring them.
struct PluginRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    struct PluginView: Encodable {
        let id: String
        let name: String
        let version: String
        let description: String
        let kind: String
        let enabled: Bool
        let dependsOn: [String]
        let entities: [String]
        let fields: [String: [JSONValue]]
        let configSchema: [String: JSONValue]
        let config: [String: JSONValue]
    }

    func register(on routes: APIRoutes) {
        routes.get("/plugins", requires: .pluginsRead) { _, _, principal in
            let tenant = try await services.pluginStates.tenant(principal.organizationID)
            let listed = services.registry.plugins.filter { !$0.manifest.hidden }
            return try JSONResponse.make(.ok, DataEnvelope(listed.map { view($0, tenant) }))
        }
        routes.put("/plugins/:id", requires: .pluginsManage) { request, context, principal in
            try await update(request, context, principal)
        }
    }

    func view(_ plugin: any CRMPlugin, _ tenant: PluginStates.Tenant) -> PluginView {
        let manifest = plugin.manifest
        return PluginView(
            id: manifest.id, name: manifest.name, version: manifest.version, description: manifest.summary,
            kind: "native", enabled: tenant.enabled[manifest.id] ?? false, dependsOn: manifest.dependsOn,
            entities: manifest.entities, fields: [:], configSchema: [:],
            config: tenant.config[manifest.id]?.objectValue ?? [:])
    }

    struct UpdateBody: Decodable {
        let enabled: Bool
        let config: [String: JSONValue]?
    }

    func update(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let plugin = services.registry.plugin(id), !plugin.manifest.hidden else { throw APIError.notFound("no plugin '\(id)'") }
        let body = try await JSONBody.decode(UpdateBody.self, request, context: context, allowedKeys: ["enabled", "config"])
        // Native plugins take no configuration yet: every key is unknown.
        let configErrors = (body.config ?? [:]).keys.sorted().map {
            FieldError(field: "config.\($0)", code: "unknown_field", message: "the \(id) plugin has no such setting")
        }
        if !configErrors.isEmpty { throw APIError.validation(configErrors) }

        let org = principal.organizationID
        try await services.database.transaction(principal.scope) { connection in
            // Serialise concurrent changes of one tenant's plugins (the dependency check reads them all).
            let rows = try await connection.query(
                "SELECT plugin_id, enabled FROM tenant_plugins WHERE org_id = \(org) FOR UPDATE", logger: logger)
            var enabled: [String: Bool] = [:]
            for candidate in services.registry.plugins { enabled[candidate.manifest.id] = candidate.manifest.enabledByDefault }
            for try await (pluginID, isOn) in rows.decode((String, Bool).self) { enabled[pluginID] = isOn }

            if body.enabled {
                let off = plugin.manifest.dependsOn.filter { enabled[$0] != true }
                if !off.isEmpty {
                    throw APIError.conflict("enable \(off.joined(separator: ", ")) first: \(id) depends on it")
                }
            } else {
                let dependents = services.registry.plugins
                    .filter { $0.manifest.dependsOn.contains(id) && enabled[$0.manifest.id] == true }
                    .map(\.manifest.id)
                if !dependents.isEmpty {
                    throw APIError.conflict("disable \(dependents.joined(separator: ", ")) first: it depends on \(id)")
                }
            }
            let config = JSONValue.object(body.config ?? [:]).serialized()
            try await connection.query(
                """
                INSERT INTO tenant_plugins (org_id, plugin_id, enabled, config) VALUES (\(org), \(id), \(body.enabled), \(config)::jsonb)
                ON CONFLICT (org_id, plugin_id) DO UPDATE SET enabled = EXCLUDED.enabled, config = EXCLUDED.config, updated_at = now()
                """, logger: logger)
            try await services.pluginStates.notifyChanged(org, on: connection)
        }
        services.pluginStates.invalidate(org)
        let tenant = try await services.pluginStates.tenant(org)
        return try JSONResponse.make(.ok, view(plugin, tenant))
    }
}
