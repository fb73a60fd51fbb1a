import Foundation
import HTTPTypes
import Hummingbird

/// The HTTP face of the record store for one entity: list, create, get, put, patch, delete,
/// restore and history under `/api/v1/<entity>`, with the entity's plugin's permissions.
struct RecordRoutes {
    let schema: EntitySchema
    let store: RecordStore

    func register(on routes: APIRoutes) {
        let read = Permission.declared("\(schema.pluginID).read")
        let write = Permission.declared("\(schema.pluginID).write")
        let base = RouterPath(stringLiteral: "/\(schema.name)")
        let item = RouterPath(stringLiteral: "/\(schema.name)/:id")
        let schema = self.schema
        let store = self.store
        let docs = EntityDocs.Operations(schema)

        routes.get(base, requires: read, doc: docs.list) { request, _, principal in
            let custom = try await store.customDefinitions(schema, principal)
            let query = try RecordQuery.parse(request, schema: schema, custom: custom)
            let body = try await store.list(schema, query: query, principal: principal)
            return RecordResponse.raw(.ok, body)
        }
        routes.get(RouterPath(stringLiteral: "/\(schema.name)/export.csv"), requires: read, doc: docs.export) { request, _, principal in
            let custom = try await store.customDefinitions(schema, principal)
            let items = RecordQuery.items(of: request)
            if let paging = items.first(where: { ["limit", "cursor", "includeTotal"].contains($0.0) }) {
                throw APIError.badRequest("an export takes filter, sort and q; '\(paging.0)' is for pages of a list")
            }
            let query = try RecordQuery.parse(items, schema: schema, custom: custom)
            // A bad query is a problem document (it is parsed before the answer starts). A failure
            // while streaming can only cut the answer short: the chunked body then ends without its
            // last chunk, so a client sees an error, never a file that looks whole.
            let headers: HTTPFields = [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(schema.name).csv\"",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await store.exportCSV(schema, query: query, principal: principal) { text in
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
        }
        routes.post(base, requires: write, doc: docs.create) { request, context, principal in
            let body = try await JSONBody.object(request, context: context)
            let key = try Idempotency.Key.from(header: request.headers[.idempotencyKey], body: body)
            switch try await store.create(schema, body: body, principal: principal, idempotency: key) {
            case .created(let stored):
                return RecordResponse.record(.created, stored, location: "/api/v1/\(schema.name)/\(stored.id.text)")
            case .replayed(let first):
                var headers: HTTPFields = [:]
                if let location = first.location { headers[.location] = location }
                if let etag = first.etag { headers[.eTag] = etag }
                return RecordResponse.raw(HTTPResponse.Status(code: first.status), first.body, headers: headers)
            }
        }
        routes.get(item, requires: read, doc: docs.get) { _, context, principal in
            let stored = try await store.get(schema, id: try context.uuidParameter("id"), principal: principal)
            return RecordResponse.record(.ok, stored)
        }
        for replace in [true, false] {
            let handler: APIRoutes.Handler = { request, context, principal in
                let id = try context.uuidParameter("id")
                let body = try await JSONBody.object(request, context: context)
                let stored = try await store.update(
                    schema, id: id, body: body, replace: replace, precondition: try RecordResponse.precondition(request),
                    principal: principal)
                return RecordResponse.record(.ok, stored)
            }
            if replace {
                routes.put(item, requires: write, doc: docs.replace, handler)
            } else {
                routes.patch(item, requires: write, doc: docs.update, handler)
            }
        }
        routes.delete(item, requires: write, doc: docs.delete) { request, context, principal in
            try await store.delete(
                schema, id: try context.uuidParameter("id"), precondition: try RecordResponse.precondition(request), principal: principal)
            return Response(status: .noContent)
        }
        routes.post(RouterPath(stringLiteral: "/\(schema.name)/:id/restore"), requires: write, doc: docs.restore) { _, context, principal in
            let stored = try await store.restore(schema, id: try context.uuidParameter("id"), principal: principal)
            return RecordResponse.record(.ok, stored)
        }
        routes.get(RouterPath(stringLiteral: "/\(schema.name)/:id/history"), requires: read, doc: docs.history) { request, context, principal in
            let limit = try RecordResponse.limit(request)
            let body = try await store.history(schema, id: try context.uuidParameter("id"), limit: limit, principal: principal)
            return RecordResponse.raw(.ok, body)
        }
    }
}

/// Responses of the record routes: the stored JSON as is, with `ETag` (and `Location`).
public enum RecordResponse {
    public static func raw(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    public static func record(_ status: HTTPResponse.Status, _ stored: RecordStore.Stored, location: String? = nil) -> Response {
        var headers: HTTPFields = [.eTag: stored.etag]
        if let location { headers[.location] = location }
        return raw(status, stored.json, headers: headers)
    }

    /// `If-Match: "<version>"` (quotes and a `W/` prefix tolerated; `*` means any).
    public static func precondition(_ request: Request) throws -> RecordStore.Precondition {
        guard let raw = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), raw != "*" else { return .none }
        var text = raw.hasPrefix("W/") ? String(raw.dropFirst(2)) : raw
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(text) else { throw APIError.badRequest("If-Match must be an ETag such as \"3\"") }
        return .version(version)
    }

    /// `{"data": [...]}` from items that are already JSON text (a page adds `nextCursor`).
    public static func dataList(_ items: [String], nextCursor: String?? = nil) -> String {
        var body = "{\"data\":[" + items.joined(separator: ",") + "]"
        if let nextCursor { body += ",\"nextCursor\":" + (nextCursor.map { "\"\($0)\"" } ?? "null") }
        return body + "}"
    }

    public static func limit(_ request: Request) throws -> Int {
        guard let raw = request.uri.queryParameters.get("limit") else { return 25 }
        return try RecordQuery.parseLimit(raw)
    }
}

extension HTTPField.Name {
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
