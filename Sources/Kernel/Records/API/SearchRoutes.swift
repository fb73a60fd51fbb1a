import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `GET /search?q=&types=&limit=`: one ranked list across the searchable entities the tenant
/// has enabled, by trigram similarity on each table's `search_text` (GIN-indexed).
struct SearchRoutes {
    let services: KernelServices

    /// Registered after the plugins, so that the document can name their entities.
    func register(on routes: APIRoutes) {
        let names = services.schemas.all.map(\.name).joined(separator: "|")
        let typesPattern = "^(\(names))(,(\(names)))*$"
        let routes = routes.tagged("search")
        routes.get("/search", requires: .recordsRead, doc: APIOperation(
            "search", "Search records of every type",
            description: "Case-insensitive text search across the entities of the organization's enabled plugins, best match first.",
            response: APISchema.list(of: APISchema.ref("SearchResult")),
            parameters: [
                APIParameters.query(
                    "q", .string(minLength: 1, maxLength: 200, pattern: "\\S"), "The text to find (1–200 characters, not only spaces).",
                    required: true),
                APIParameters.query(
                    "types", .string(pattern: typesPattern, examples: ["contacts,deals"]),
                    "Comma-separated entity names to search (default: all enabled); an unknown name → 400."),
                APIParameters.limit,
            ],
            errors: [400])
        ) { request, _, principal in
            try await search(request, principal)
        }
    }

    func search(_ request: Request, _ principal: Principal) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let q = parameters.get("q")?.trimmed.lowercased(), !q.isEmpty, q.count <= 200 else {
            throw APIError.badRequest("q is required (1-200 characters)")
        }
        let limit = try RecordResponse.limit(request)
        let tenant = try await services.pluginStates.tenant(principal.organizationID)
        let available = services.schemas.all.filter { tenant.enabled[$0.pluginID] == true }
        var chosen = available
        if let types = parameters.get("types") {
            let wanted = types.split(separator: ",").map(String.init)
            for type in wanted where services.schemas.schema(type) == nil {
                throw APIError.badRequest("unknown type '\(type)'")
            }
            chosen = available.filter { wanted.contains($0.name) }
        }
        guard !chosen.isEmpty else { return try JSONResponse.make(.ok, DataEnvelope([JSONValue]())) }

        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let pattern = builder.bind("%" + SQLBuilder.likeEscaped(q) + "%")
        let text = builder.bind(q)
        let parts = chosen.map { schema in
            """
            SELECT \(builder.bind(schema.name)) AS type, t.id, \(schema.titleSQL) AS title, left(t.search_text, 160) AS snippet,
                   similarity(t.search_text, \(text)) AS rank
            FROM \(schema.table) t WHERE t.org_id = \(org) AND t.deleted_at IS NULL AND t.search_text LIKE \(pattern)
            """
        }
        builder.append("""
            SELECT json_build_object('type', type, 'id', id, 'title', title, 'snippet', snippet, 'rank', round(rank::numeric, 4))::text
            FROM (\(parts.joined(separator: " UNION ALL "))) found ORDER BY rank DESC, id LIMIT \(limit)
            """)
        let body = try await services.database.withScope(principal.scope) { connection in
            var items: [String] = []
            for try await row in try await builder.run(on: connection, logger: services.logger) { items.append(try row.decode(String.self)) }
            return RecordResponse.dataList(items)
        }
        return RecordResponse.raw(.ok, body)
    }
}
