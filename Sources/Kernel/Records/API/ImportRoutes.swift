import Foundation
import Hummingbird
import OpenAPIKit

/// `/imports` (API.md, Import and export): upload a CSV file of one entity, then follow it.
struct ImportRoutes {
    let services: KernelServices
    let imports: Imports

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("imports")
        let importSchema = APISchema.ref("Import")
        let entities = services.schemas.all.map(\.name)
        routes.post("/imports", requires: .recordsWrite, doc: APIOperation(
            "createImport", "Import records from a CSV file",
            description: """
                A `text/csv` body (RFC 4180, UTF-8, a header row; up to 100 MiB). Columns map to fields by name or \\
                label (`firstName` or `First name`, `custom.tier` or the custom field's label, `tags` as `a;b`); an \\
                unknown column, a malformed file → 422 and nothing is stored. Rows are then stored in the background, \\
                each checked like a create through the API (custom fields and Lua before-hooks included); rejected rows \\
                are reported with their line and skipped. The import survives a restart without duplicates.
                """,
            body: .string, status: 202, response: importSchema, responseHeaders: ["Location"],
            parameters: [APIParameters.query("entity", .string(allowedValues: entities.map { AnyCodable($0) }), "The entity the rows are.", required: true)],
            errors: [404], bodyMediaType: .csv)
        ) { request, _, principal in
            guard let name = request.uri.queryParameters["entity"].map(String.init) else {
                throw APIError.badRequest("entity is required: one of \(entities.joined(separator: ", "))")
            }
            guard let schema = services.schemas.schema(name) else {
                throw APIError.badRequest("entity must be one of \(entities.joined(separator: ", "))")
            }
            guard try await services.pluginStates.isEnabled(schema.pluginID, for: principal.organizationID) else {
                throw APIError(.pluginDisabled, "the \(schema.pluginID) plugin is disabled for this organization")
            }
            let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            guard type == "text/csv" else { throw APIError(.unsupportedMediaType, "an import's body is text/csv") }
            let view = try await imports.create(schema, body: request.body, principal: principal)
            return try JSONResponse.make(.accepted, view, headers: [.location: "/api/v1/imports/\(view.id)"])
        }
        routes.get("/imports", requires: .recordsRead, doc: APIOperation(
            "listImports", "List the organization's imports", description: "Newest first (the latest 100).",
            response: APISchema.list(of: importSchema))
        ) { _, _, principal in
            try JSONResponse.make(.ok, DataEnvelope(try await imports.list(principal)))
        }
        routes.get("/imports/:id", requires: .recordsRead, doc: APIOperation(
            "getImport", "Get an import and its progress", response: importSchema, errors: [404])
        ) { _, context, principal in
            try JSONResponse.make(.ok, try await imports.get(try context.uuidParameter("id"), principal))
        }
    }
}
