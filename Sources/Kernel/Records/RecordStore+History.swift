import Foundation
import PostgresNIO

extension RecordStore {
    /// The field changes of one record (deleted ones too), newest first.
    func history(_ schema: EntitySchema, id: UUID, limit: Int, principal: Principal) async throws -> String {
        try await database.withScope(principal.scope) { connection in
            let exists = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT 1 FROM \(schema.table) WHERE org_id = $1 AND id = $2", binds: {
                    var binds = PostgresBindings()
                    binds.append(principal.organizationID)
                    binds.append(id)
                    return binds
                }()), logger: logger)
            guard try await exists.collect().count == 1 else { throw RecordError.notFound("no \(schema.name) record \(id.text)") }
            let rows = try await connection.query(
                """
                SELECT json_build_object(
                    'at', \(unescaped: SQLTime.utc("at")), 'actor', actor,
                    'action', action, 'changes', changes)::text
                FROM record_history WHERE org_id = \(principal.organizationID) AND record_id = \(id) AND entity = \(schema.name)
                ORDER BY at DESC, id DESC LIMIT \(limit)
                """, logger: logger)
            var items: [String] = []
            for try await item in rows.decode(String.self) { items.append(item) }
            return RecordResponse.dataList(items, nextCursor: .some(nil))
        }
    }
}
