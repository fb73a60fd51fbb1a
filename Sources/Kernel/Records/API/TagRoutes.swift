import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/tags`: the organization's tag names. Records take tags by name on write (new names are
/// added here); deleting a tag removes it from every record.
struct TagRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    struct TagView: Encodable {
        let id: String
        let name: String
        let createdAt: Date
    }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("tags")
        routes.get("/tags", requires: .recordsRead, doc: APIOperation(
            "listTags", "List the organization's tags", description: "By name, ignoring case.",
            response: APISchema.list(of: APISchema.ref("Tag")))
        ) { _, _, principal in
            let tags = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    "SELECT id, name, created_at FROM tags WHERE org_id = \(principal.organizationID) ORDER BY lower(name), id",
                    logger: logger)
                var tags: [TagView] = []
                for try await (id, name, created) in rows.decode((UUID, String, Date).self) {
                    tags.append(TagView(id: id.text, name: name, createdAt: created))
                }
                return tags
            }
            return try JSONResponse.make(.ok, DataEnvelope(tags))
        }
        routes.post("/tags", requires: .recordsWrite, doc: APIOperation(
            "createTag", "Create a tag", description: "Records also add tags by name on write. An existing name → 409.",
            body: APISchema.ref("TagInput"), status: 201, response: APISchema.ref("Tag"), responseHeaders: ["Location"],
            errors: [409])
        ) { request, context, principal in
            struct Body: Decodable { let name: String }
            let body = try await JSONBody.decode(Body.self, request, context: context, allowedKeys: ["name"])
            let name: String
            do {
                name = try RecordInput.normalizeTags(.array([.string(body.name)])).arrayValue?.first?.stringValue ?? ""
            } catch let error as FieldError {
                throw APIError.validation([FieldError(field: "name", code: error.code, message: error.message)])
            }
            let tag = try await services.database.withScope(principal.scope) { connection -> TagView? in
                let rows = try await connection.query(
                    """
                    INSERT INTO tags (org_id, name) VALUES (\(principal.organizationID), \(name))
                    ON CONFLICT (org_id, name) DO NOTHING RETURNING id, created_at
                    """, logger: logger)
                for try await (id, created) in rows.decode((UUID, Date).self) { return TagView(id: id.text, name: name, createdAt: created) }
                return nil
            }
            guard let tag else { throw APIError.conflict("the tag '\(name)' already exists") }
            return try JSONResponse.make(.created, tag, headers: [.location: "/api/v1/tags/\(tag.id)"])
        }
        routes.delete("/tags/:id", requires: .recordsWrite, doc: APIOperation(
            "deleteTag", "Delete a tag",
            description: "Also removes it from every record that has it: each such record's `version` goes up, its history shows the change (actor `system`, `tag.deleted`) and its update hooks run.",
            status: 204)
        ) { _, context, principal in
            let id = try context.uuidParameter("id")
            try await services.database.transaction(principal.scope) { connection in
                let rows = try await connection.query(
                    "DELETE FROM tags WHERE org_id = \(principal.organizationID) AND id = \(id) RETURNING name", logger: logger)
                var removed: String?
                for try await name in rows.decode(String.self) { removed = name }
                guard let removed else { throw APIError.notFound("no tag \(id.text)") }
                // Off every record that has it, through the store (version, history, hooks).
                for schema in services.schemas.all {
                    var builder = SQLBuilder()
                    let org = builder.bind(principal.organizationID.text, as: "uuid")
                    let name = builder.bind(removed)
                    builder.append("SELECT t.id FROM \(schema.table) t WHERE t.org_id = \(org) AND t.tags @> ARRAY[\(name)] ORDER BY t.id")
                    var ids: [UUID] = []
                    for try await row in try await builder.run(on: connection, logger: logger) { ids.append(try row.decode(UUID.self)) }
                    try await services.records.systemUpdate(
                        schema, ids: ids, cause: "tag.deleted", organizationID: principal.organizationID, on: connection
                    ) { record in
                        record["tags"] = .array((record["tags"]?.arrayValue ?? []).filter { $0.stringValue != removed })
                    }
                }
            }
            return JSONResponse.noContent()
        }
    }
}
