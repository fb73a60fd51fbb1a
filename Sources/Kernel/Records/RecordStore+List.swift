import Foundation
import PostgresNIO

extension RecordStore {
    /// One page of live records as the API's list JSON, written from the rows' columns.
    public func list(_ schema: EntitySchema, query: RecordQuery, principal: Principal) async throws -> String {
        var query = query
        if let token = query.cursorToken { query.cursor = try cursors.open(token, for: query, entity: schema.name) }
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        var conditions = ["t.org_id = \(org)", "t.deleted_at IS NULL"] + query.conditions(&builder)
        var countBuilder = builder
        let countConditions = conditions
        if let after = query.cursorCondition(&builder) { conditions.append(after) }
        builder.append("""
            SELECT \(schema.columns.sql), \(query.cursorColumnsSQL.joined(separator: ", ")) FROM \(schema.table) t
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.orderSQL) LIMIT \(query.limit + 1)
            """)
        countBuilder.append("SELECT count(*) FROM \(schema.table) t WHERE \(countConditions.joined(separator: " AND "))")

        // The connection goes back to the pool before the page is written.
        let (rows, total) = try await database.withScope(principal.scope) { connection -> ([PostgresRow], Int?) in
            var rows: [PostgresRow] = []
            for try await row in try await builder.run(on: connection, logger: logger) { rows.append(row) }
            guard query.includeTotal else { return (rows, nil) }
            var total = 0
            for try await row in try await countBuilder.run(on: connection, logger: logger) { total = try row.decode(Int.self) }
            return (rows, total)
        }
        // One row more than the page was asked for: there is a next page.
        let hasMore = rows.count > query.limit
        let page = rows.prefix(query.limit)
        var body = JSONWriter(capacity: 256 + page.count * 512)
        body.raw("{\"data\":[")
        for (index, row) in page.enumerated() {
            if index > 0 { body.raw(",") }
            try schema.columns.write(row, into: &body)
        }
        body.raw("],\"nextCursor\":")
        if hasMore, let last = page.last {
            body.string(cursors.seal(try cursor(after: last, columns: schema.columns.count), for: query, entity: schema.name))
        } else {
            body.raw("null")
        }
        if let total {
            body.raw(",\"total\":")
            body.integer(total)
        }
        body.raw("}")
        return body.text
    }

    /// The cursor after `row`: a JSON array of its sort values and id (the cells after the
    /// record's columns), which `CursorSigner` seals and opens.
    private func cursor(after row: PostgresRow, columns: Int) throws -> [UInt8] {
        var values = JSONWriter(capacity: 96)
        values.raw("[")
        for (index, cell) in row.enumerated() where index >= columns {
            if index > columns { values.raw(",") }
            try values.value(cell, microseconds: true)
        }
        values.raw("]")
        return values.bytes
    }
}
