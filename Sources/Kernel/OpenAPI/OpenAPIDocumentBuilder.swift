import Foundation
import OpenAPIKit

/// Builds the OpenAPI 3.1 document from what the server registered: the kernel's and each
/// plugin's routes with their operations, the named schemas, and the entity schemas. The
/// product's view documents every plugin; a tenant's view only the plugins it has enabled,
/// with its custom fields as typed properties of each entity's `custom` object.
struct OpenAPIDocumentBuilder {
    /// A tenant's view of the product.
    struct TenantView {
        var enabledPlugins: Set<String>
        /// Custom field definitions by entity name.
        var customFields: [String: [CustomFieldDefinition]]
    }

    let documentation: APIDocumentation
    let registry: PluginRegistry
    let entities: [EntitySchema]
    let publicURL: String

    static let apiVersion = "1.0.0"

    func build(for view: TenantView?) -> OpenAPI.Document {
        let included: (String?) -> Bool = { pluginID in
            guard let pluginID, let view else { return true }
            if let plugin = registry.plugins.first(where: { $0.manifest.id == pluginID }), plugin.manifest.hidden { return true }
            return view.enabledPlugins.contains(pluginID)
        }

        var schemas: OpenAPI.ComponentDictionary<JSONSchema> = [:]
        for (name, component) in documentation.components where included(component.pluginID) {
            schemas[.init(stringLiteral: name)] = component.schema
        }
        for entity in entities where included(entity.pluginID) {
            let custom = view.map { $0.customFields[entity.name] ?? [] }
            for (name, schema) in EntityDocs.components(entity, custom: custom) {
                schemas[.init(stringLiteral: name)] = schema
            }
        }

        var paths: OpenAPI.PathItem.Map = [:]
        var usedTags: [String] = []
        for route in documentation.routes where included(route.pluginID) {
            let rawPath = Self.openAPIPath(route.path)
            let path = OpenAPI.Path(rawValue: rawPath)
            var item = paths[path]?.pathItemValue ?? OpenAPI.PathItem()
            let operation = self.operation(route, path: rawPath)
            switch route.method {
            case .get: item.get(operation)
            case .post: item.post(operation)
            case .put: item.put(operation)
            case .patch: item.patch(operation)
            case .delete: item.delete(operation)
            default: continue
            }
            paths[path] = .b(item)
            if let tag = route.operation.tag, !usedTags.contains(tag) { usedTags.append(tag) }
        }

        return OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(
                title: "CRM API",
                description: view == nil
                    ? "Every plugin of the product. Call with a token for your organization's view: its enabled plugins and custom fields."
                    : "Your organization's view: its enabled plugins, and its custom fields under each record's `custom`.",
                version: Self.apiVersion),
            servers: [.init(url: URL(string: publicURL) ?? URL(string: "http://localhost:8080")!)],
            paths: paths,
            components: .init(
                schemas: schemas,
                responses: ["Problem": .b(Self.problemResponse)],
                securitySchemes: [
                    "accessToken": .b(.http(scheme: "bearer", bearerFormat: "JWT", description: "An access token from login, register, refresh or switch.")),
                    "apiKey": .b(.http(scheme: "bearer", bearerFormat: "crm_ API key", description: "An API key (`crm_…`) from `POST /api-keys`, sent as a bearer token.")),
                ]),
            security: Self.security,
            tags: usedTags.map { OpenAPI.Tag(name: $0, description: tagDescription($0)) })
    }

    private func tagDescription(_ tag: String) -> String? {
        if let description = documentation.tags[tag] { return description }
        return registry.plugins.first { $0.manifest.id == tag }.map { $0.manifest.summary }
    }

    /// `/api/v1/pipelines/:id` → `/api/v1/pipelines/{id}`.
    static func openAPIPath(_ routerPath: String) -> String {
        routerPath.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    /// `path` is the route's path in OpenAPI form.
    private func operation(_ route: APIDocumentation.Route, path: String) -> OpenAPI.Operation {
        let doc = route.operation
        let pathNames = path.split(separator: "/").compactMap { part -> String? in
            part.hasPrefix("{") ? String(part.dropFirst().dropLast()) : nil
        }
        var parameters: OpenAPI.Parameter.Array = []
        for name in pathNames where !doc.parameters.contains(where: { $0.name == name && $0.location == .path }) {
            let isID = name == "id" || name.hasSuffix("Id")
            parameters.append(.b(.path(name: name, schema: isID ? APISchema.uuid : .string)))
        }
        parameters += doc.parameters.map { .b($0) }

        var responses: OpenAPI.Response.Map = [:]
        var success = OpenAPI.Response(description: doc.summary)
        if let schema = doc.response {
            success = OpenAPI.Response(
                description: doc.summary, content: [doc.responseMediaType ?? .json: .b(.init(schema: schema))])
        }
        let headers = doc.responseHeaders.compactMap { name in APIHeaders.all[name].map { (name, $0) } }
        if !headers.isEmpty {
            var map: OpenAPI.Header.Map = [:]
            for (name, header) in headers { map[name] = .b(header) }
            success.headers = map
        }
        for status in [doc.status] + doc.otherStatuses { responses[.status(code: status)] = .b(success) }

        var errors = Set(doc.errors)
        if route.permission != nil { errors.formUnion([401, 403, 429]) }
        if route.pluginID != nil { errors.insert(404) }
        if doc.body != nil { errors.formUnion([400, 413, 415, 422]) }
        if !pathNames.isEmpty { errors.insert(404) }
        for status in errors.sorted() {
            responses[.status(code: status)] = .a(.component(named: "Problem"))
        }
        responses[.default] = .a(.component(named: "Problem"))

        var requestBody: OpenAPI.Request?
        if let body = doc.body {
            requestBody = OpenAPI.Request(
                content: [doc.bodyMediaType ?? .json: .b(.init(schema: body, example: doc.example.map { AnyCodable($0) }))],
                required: doc.bodyRequired)
        }
        var description = doc.description ?? ""
        if let permission = route.permission {
            let role = permission.minimumRole.rawValue
            description += (description.isEmpty ? "" : "\n\n") + "Requires `\(permission.name)` (role `\(role)` or higher)."
        }
        return OpenAPI.Operation(
            tags: doc.tag.map { [$0] },
            summary: doc.summary,
            description: description.isEmpty ? nil : description,
            operationId: doc.id,
            parameters: parameters,
            requestBody: requestBody,
            responses: responses,
            security: route.permission != nil ? nil : (doc.optionalAuthentication ? [[:]] + Self.security : []))
    }

    /// An access token or an API key (either will do).
    static let security: [OpenAPI.SecurityRequirement] = [
        [.component(named: "accessToken"): []], [.component(named: "apiKey"): []],
    ]

    static let problemResponse = OpenAPI.Response(
        description: "An error as RFC 9457 problem details, with a stable `code`.",
        content: [.init(rawValue: "application/problem+json")!: .b(.init(schema: APISchema.ref("Problem")))])
}
