import Foundation
import PostgresNIO

extension RecordStore {
    /// One page of live records as the API's list JSON, written from the rows' columns.
    public func list(_ schema: EntitySchema, query: RecordQuery, principal: Principal) async throws -> String {
        var query = query
        if let token = query.cursorToken { query.cursor = try cursors.open(token, for: query, entity: schema.name) }

        // The connection goes back to the pool before the page is written.
        let (rows, total) = try await database.withScope(principal.scope) { [query] connection -> ([PostgresRow], Int?) in
            var query = query
            try await planSearch(&query, schema, principal, on: connection)
            let (builder, countBuilder) = pageSQL(schema, query, principal, limit: query.limit + 1)
            var rows: [PostgresRow] = []
            for try await row in try await builder.run(on: connection, logger: logger, prepared: query.preparable) { rows.append(row) }
            guard query.includeTotal else { return (rows, nil) }
            var total = 0
            for try await row in try await countBuilder.run(on: connection, logger: logger, prepared: query.preparable) {
                total = try row.decode(Int.self)
            }
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

    /// The statement of one page (`limit` rows after `query.cursor`) and of the count of all.
    private func pageSQL(_ schema: EntitySchema, _ query: RecordQuery, _ principal: Principal, limit: Int) -> (SQLBuilder, SQLBuilder) {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        var conditions = ["t.org_id = \(org)", "t.deleted_at IS NULL"] + query.conditions(&builder, table: schema.table, org: org)
        var countBuilder = builder
        let countConditions = conditions
        if let after = query.cursorCondition(&builder) { conditions.append(after) }
        builder.append("""
            SELECT \(schema.columns.sql), \(query.cursorColumnsSQL.joined(separator: ", ")) FROM \(schema.table) t
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.orderSQL) LIMIT \(limit)
            """)
        countBuilder.append("SELECT count(*) FROM \(schema.table) t WHERE \(countConditions.joined(separator: " AND "))")
        return (builder, countBuilder)
    }

    /// Every live record the query selects (its filters, sort and `q`; not its page), as CSV
    /// (`RecordCSV`): the header, then batches of lines handed to `write` as they are read.
    /// Memory stays that of one batch whatever the count: each batch is a keyset page in its own
    /// short transaction (a slow reader never holds a connection or a snapshot), so the order is
    /// stable and nothing repeats, as with the list's cursor.
    public func exportCSV(
        _ schema: EntitySchema, query: RecordQuery, principal: Principal, batchSize: Int = 1000,
        write: (String) async throws -> Void
    ) async throws {
        let csv = RecordCSV(schema, custom: try await customDefinitions(schema, principal))
        try await write(csv.header)
        var query = query
        query.cursor = nil
        try await database.withScope(principal.scope) { connection in try await planSearch(&query, schema, principal, on: connection) }
        while true {
            let (builder, _) = pageSQL(schema, query, principal, limit: batchSize)
            let rows = try await database.withScope(principal.scope) { connection -> [PostgresRow] in
                var rows: [PostgresRow] = []
                for try await row in try await builder.run(on: connection, logger: logger, prepared: query.preparable) { rows.append(row) }
                return rows
            }
            var chunk = ""
            chunk.reserveCapacity(rows.count * 200)
            for row in rows {
                var json = JSONWriter(capacity: 512)
                try schema.columns.write(row, into: &json)
                guard let record = JSONValue.parse(json.text) else { throw PostgresJSONError.malformed("record row") }
                chunk += csv.line(record)
            }
            if !chunk.isEmpty { try await write(chunk) }
            guard rows.count == batchSize, let last = rows.last,
                let values = JSONValue.parse(Data(try cursor(after: last, columns: schema.columns.count)))?.arrayValue
            else { return }
            query.cursor = values
        }
    }

    /// Picks the words of `q` a page is read from (`SearchTerms.drivers`).
    private func planSearch(_ query: inout RecordQuery, _ schema: EntitySchema, _ principal: Principal, on connection: PostgresConnection) async throws {
        guard let text = query.text else { return }
        query.searchDrivers = try await SearchTerms.drivers(
            text, table: schema.table, organizationID: principal.organizationID.text, on: connection, logger: logger)
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
