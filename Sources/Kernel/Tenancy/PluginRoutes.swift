import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/plugins`: the native and bundled Lua plugins as the caller's organization has them, and
/// turning them on or off (with the dependency rules of API.md) and configuring them.
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

    /// What the rules need to know of any plugin, native or not.
    struct Descriptor {
        let id: String
        let dependsOn: [String]
        let enabledByDefault: Bool
        let external: ExternalPlugin?
        let native: (any CRMPlugin)?
    }

    var descriptors: [Descriptor] {
        services.registry.plugins.filter { !$0.manifest.hidden }.map {
            Descriptor(id: $0.manifest.id, dependsOn: $0.manifest.dependsOn, enabledByDefault: $0.manifest.enabledByDefault, external: nil, native: $0)
        } + services.externalPlugins.all.map {
            Descriptor(id: $0.id, dependsOn: $0.dependsOn, enabledByDefault: false, external: $0, native: nil)
        }
    }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("plugins")
        routes.get("/plugins", requires: .pluginsRead, doc: APIOperation(
            "listPlugins", "List the plugins and their state for the organization",
            description: "Native plugins and the bundled Lua plugins, each with whether it is enabled and its effective configuration.",
            response: APISchema.list(of: APISchema.ref("Plugin")))
        ) { _, _, principal in
            let tenant = try await services.pluginStates.tenant(principal.organizationID)
            return try JSONResponse.make(.ok, DataEnvelope(descriptors.map { view($0, tenant) }))
        }
        routes.put("/plugins/:id", requires: .pluginsManage, doc: APIOperation(
            "updatePlugin", "Enable, disable or configure a plugin",
            description: """
                Enabling a plugin whose dependency is off, or disabling one that another enabled plugin depends on → 409. \
                `config` is checked against the plugin's `configSchema` (422 with `field: "config.<key>"`).
                """,
            body: APISchema.ref("PluginUpdate"), response: APISchema.ref("Plugin"),
            parameters: [.path(name: "id", schema: .string(examples: ["deals"]), description: "The plugin's id (not a UUID).")],
            errors: [409])
        ) { request, context, principal in
            try await update(request, context, principal)
        }
    }

    func view(_ descriptor: Descriptor, _ tenant: PluginStates.Tenant) -> PluginView {
        let stored = tenant.config[descriptor.id]?.objectValue ?? [:]
        if let plugin = descriptor.external {
            return PluginView(
                id: plugin.id, name: plugin.name, version: plugin.version, description: plugin.description, kind: plugin.kind,
                enabled: tenant.enabled[plugin.id] ?? false, dependsOn: plugin.dependsOn, entities: [], fields: plugin.fields,
                configSchema: plugin.configSchema, config: (try? plugin.effectiveConfig(stored)) ?? stored)
        }
        let manifest = descriptor.native?.manifest
        return PluginView(
            id: descriptor.id, name: manifest?.name ?? descriptor.id, version: manifest?.version ?? "",
            description: manifest?.summary ?? "", kind: "native", enabled: tenant.enabled[descriptor.id] ?? false,
            dependsOn: descriptor.dependsOn, entities: manifest?.entities ?? [], fields: [:], configSchema: [:], config: stored)
    }

    struct UpdateBody: Decodable {
        let enabled: Bool
        let config: [String: JSONValue]?
    }

    func update(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let all = descriptors
        guard let plugin = all.first(where: { $0.id == id }) else { throw APIError.notFound("no plugin '\(id)'") }
        let body = try await JSONBody.decode(UpdateBody.self, request, context: context, allowedKeys: ["enabled", "config"])
        let config: [String: JSONValue]
        if let external = plugin.external {
            config = try external.effectiveConfig(body.config ?? [:])
        } else {
            // Native plugins take no configuration yet: every key is unknown.
            let errors = (body.config ?? [:]).keys.sorted().map {
                FieldError(field: "config.\($0)", code: "unknown_field", message: "the \(id) plugin has no such setting")
            }
            if !errors.isEmpty { throw APIError.validation(errors) }
            config = [:]
        }

        let org = principal.organizationID
        try await services.database.transaction(principal.scope) { connection in
            // Serialise concurrent changes of one tenant's plugins (the dependency check reads them all).
            let rows = try await connection.query(
                "SELECT plugin_id, enabled FROM tenant_plugins WHERE org_id = \(org) FOR UPDATE", logger: logger)
            var enabled: [String: Bool] = [:]
            for candidate in all { enabled[candidate.id] = candidate.enabledByDefault }
            for try await (pluginID, isOn) in rows.decode((String, Bool).self) { enabled[pluginID] = isOn }

            if body.enabled {
                let off = plugin.dependsOn.filter { enabled[$0] != true }
                if !off.isEmpty {
                    throw APIError.conflict("enable \(off.joined(separator: ", ")) first: \(id) depends on it")
                }
            } else {
                let dependents = all.filter { $0.dependsOn.contains(id) && enabled[$0.id] == true }.map(\.id)
                if !dependents.isEmpty {
                    throw APIError.conflict("disable \(dependents.joined(separator: ", ")) first: it depends on \(id)")
                }
            }
            let stored = JSONValue.object(config).serialized()
            try await connection.query(
                """
                INSERT INTO tenant_plugins (org_id, plugin_id, enabled, config) VALUES (\(org), \(id), \(body.enabled), \(stored)::jsonb)
                ON CONFLICT (org_id, plugin_id) DO UPDATE SET enabled = EXCLUDED.enabled, config = EXCLUDED.config, updated_at = now()
                """, logger: logger)
            if body.enabled, let external = plugin.external {
                try await services.pluginEnabled.run(org, external, on: connection)
            }
            try await services.pluginStates.notifyChanged(org, on: connection)
        }
        services.pluginStates.invalidate(org)
        services.tenantChanges.changed(org)
        let tenant = try await services.pluginStates.tenant(org)
        return try JSONResponse.make(.ok, view(plugin, tenant))
    }
}
