import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `GET /search?q=&types=&limit=`: one ranked list across the searchable entities the tenant
/// has enabled (`RecordSearch`).
struct SearchRoutes {
    let services: KernelServices

    /// Registered after the plugins, so that the document can name their entities.
    func register(on routes: APIRoutes) {
        let names = services.schemas.all.map(\.name).joined(separator: "|")
        let typesPattern = "^(\(names))(,(\(names)))*$"
        let routes = routes.tagged("search")
        routes.get("/search", requires: .recordsRead, doc: APIOperation(
            "search", "Search records of every type",
            description: """
                Case-insensitive text search across the entities of the organization's enabled plugins, best match first. \
                Every word must start a word of the record; when fewer than `limit` records match so, words of four or more \
                letters may also match with up to two edits. `rank` is above 0.5 for exact matches, below for the others.
                """,
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

        let search = RecordSearch(schemas: chosen, organizationID: principal.organizationID.text, query: q, limit: limit)
        let body = try await services.database.withScope(principal.scope) { connection in
            RecordResponse.dataList(try await search.run(on: connection, logger: services.logger))
        }
        return RecordResponse.raw(.ok, body)
    }
}
