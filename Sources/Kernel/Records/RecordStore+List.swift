import Foundation
import PostgresNIO

extension RecordStore {
    /// One page of live records as the API's list JSON, assembled from PostgreSQL's row JSON
    /// without re-encoding it.
    public func list(_ schema: EntitySchema, query: RecordQuery, principal: Principal) async throws -> String {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        var conditions = ["t.org_id = \(org)", "t.deleted_at IS NULL"] + query.conditions(&builder)
        var countBuilder = builder
        let countConditions = conditions
        if let after = query.cursorCondition(&builder) { conditions.append(after) }
        builder.append("""
            SELECT \(schema.jsonSQL), \(query.cursorValuesSQL) FROM \(schema.table) t
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.orderSQL) LIMIT \(query.limit + 1)
            """)
        countBuilder.append("SELECT count(*) FROM \(schema.table) t WHERE \(countConditions.joined(separator: " AND "))")

        return try await database.withScope(principal.scope) { connection in
            var items: [(json: String, cursor: String)] = []
            for try await row in try await builder.run(on: connection, logger: logger) {
                items.append(try row.decode((String, String).self))
            }
            // One row more than the page was asked for: there is a next page.
            let hasMore = items.count > query.limit
            if hasMore { items.removeLast() }
            var body = "{\"data\":[" + items.map(\.json).joined(separator: ",") + "]"
            body += ",\"nextCursor\":" + (hasMore ? nextCursor(items.last?.cursor) : "null")
            if query.includeTotal {
                var total = 0
                for try await row in try await countBuilder.run(on: connection, logger: logger) { total = try row.decode(Int.self) }
                body += ",\"total\":\(total)"
            }
            return body + "}"
        }
    }

    /// The cursor after the row whose sort values (a JSON array, as PostgreSQL wrote it) are
    /// `values`: those bytes as they are, base64url — `RecordQuery.decodeCursor` parses them.
    private func nextCursor(_ values: String?) -> String {
        guard let values else { return "null" }
        return "\"" + Base64URL.encode(Array(values.utf8)) + "\""
    }
}
