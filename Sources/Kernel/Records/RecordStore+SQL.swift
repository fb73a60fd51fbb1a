import Foundation
import PostgresNIO

extension RecordStore {
    /// INSERT of a validated record, its tags and its history entry, in one statement; `custom`
    /// the tenant's definitions (the indexed ones fill the sort columns, `SortSlot`).
    func insert(
        _ schema: EntitySchema, id: UUID, _ record: Record, changes: [String: (JSONValue, JSONValue)],
        custom: [CustomFieldDefinition], principal: Principal, on connection: PostgresConnection
    ) async throws -> Stored {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        var columns = ["org_id", "id"]
        var values = [org, builder.bind(id.text, as: "uuid")]
        for field in schema.fields {
            columns.append(field.column)
            values.append(bindValue(&builder, field, record[field.name]))
        }
        columns += ["custom", "tags"]
        values.append(builder.bind((record["custom"] ?? .object([:])).serialized(), as: "jsonb"))
        let tags = bindTags(record, org: org, &builder)
        values.append(tags.placeholder)
        for slot in SortSlot.assignments(record, custom, builder: &builder) {
            columns.append(slot.column)
            values.append(slot.value)
        }
        builder.append("""
            WITH \(tags.cte)row AS (
                INSERT INTO \(schema.table) (\(columns.joined(separator: ", "))) VALUES (\(values.joined(separator: ", "))) RETURNING *
            ), hist AS (
                \(historySQL(&builder, schema, action: "create", changes: changes, principal: principal))
            )
            SELECT \(schema.columns.sql) FROM row t
            """)
        return try await storedRow(builder, schema, id: id, on: connection)
    }

    /// INSERT of several validated records (an import's batch), their tags and history entries,
    /// in one statement; the stored records in the order given. The statement's text depends on
    /// the count, so it is not kept as a prepared statement.
    func insertBatch(
        _ schema: EntitySchema, _ entries: [(id: UUID, record: Record, changes: [String: (JSONValue, JSONValue)])],
        custom: [CustomFieldDefinition], principal: Principal, on connection: PostgresConnection
    ) async throws -> [Record] {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let columns = ["org_id", "id"] + schema.fields.map(\.column) + ["custom", "tags"] + SortSlot.allCases.map(\.column)
        var rows: [String] = []
        var histories: [String] = []
        var allTags = Set<String>()
        for entry in entries {
            var values = [org, builder.bind(entry.id.text, as: "uuid")]
            for field in schema.fields { values.append(bindValue(&builder, field, entry.record[field.name])) }
            values.append(builder.bind((entry.record["custom"] ?? .object([:])).serialized(), as: "jsonb"))
            let names = tagNames(entry.record)
            allTags.formUnion(names)
            values.append(builder.bind(SQLBuilder.arrayLiteral(names), as: "text[]"))
            values += SortSlot.assignments(entry.record, custom, builder: &builder).map(\.value)
            rows.append("(\(values.joined(separator: ", ")))")
            histories.append("(\(values[1]), \(builder.bind(Self.changesJSON(entry.changes), as: "jsonb")))")
        }
        let tagged = allTags.isEmpty ? "" : """
            tagged AS (INSERT INTO tags (org_id, name) SELECT \(org), unnest(\(builder.bind(SQLBuilder.arrayLiteral(allTags.sorted()), as: "text[]")))
                       ON CONFLICT DO NOTHING),
            """
        builder.append("""
            WITH \(tagged) row AS (
                INSERT INTO \(schema.table) (\(columns.joined(separator: ", "))) VALUES \(rows.joined(separator: ", ")) RETURNING *
            ), hist AS (
                INSERT INTO record_history (org_id, id, entity, record_id, actor, action, changes)
                SELECT row.org_id, gen_random_uuid(), \(builder.bind(schema.name)), row.id,
                       \(builder.bind(principal.actorJSON.serialized(), as: "jsonb")), 'create', h.changes
                FROM row JOIN (VALUES \(histories.joined(separator: ", "))) h (id, changes) ON h.id = row.id
            )
            SELECT \(schema.columns.sql) FROM row t
            """)
        var stored: [UUID: Record] = [:]
        for try await row in try await connection.query(builder.query, logger: logger) {
            let one = try schema.columns.stored(row, id: UUID())
            let record = one.record
            if let id = record["id"]?.stringValue.flatMap(UUID.init(text:)) { stored[id] = record }
        }
        return entries.map { stored[$0.id] ?? $0.record }
    }

    /// UPDATE of a validated record (version + 1), its tags and history, in one statement.
    func write(
        _ schema: EntitySchema, id: UUID, _ record: Record, changes: [String: (JSONValue, JSONValue)],
        custom: [CustomFieldDefinition], principal: Principal, includeDeleted: Bool = false, on connection: PostgresConnection
    ) async throws -> Stored {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let recordID = builder.bind(id.text, as: "uuid")
        var assignments: [String] = []
        for field in schema.fields {
            assignments.append("\(field.column) = \(bindValue(&builder, field, record[field.name]))")
        }
        assignments.append("custom = \(builder.bind((record["custom"] ?? .object([:])).serialized(), as: "jsonb"))")
        let tags = bindTags(record, org: org, &builder)
        assignments.append("tags = \(tags.placeholder)")
        assignments += SortSlot.assignments(record, custom, builder: &builder).map { "\($0.column) = \($0.value)" }
        assignments.append("version = t.version + 1")
        assignments.append("updated_at = clock_timestamp()")
        builder.append("""
            WITH \(tags.cte)row AS (
                UPDATE \(schema.table) t SET \(assignments.joined(separator: ", "))
                WHERE t.org_id = \(org) AND t.id = \(recordID)\(includeDeleted ? "" : " AND t.deleted_at IS NULL") RETURNING t.*
            ), hist AS (
                \(historySQL(&builder, schema, action: "update", changes: changes, principal: principal))
            )
            SELECT \(schema.columns.sql) FROM row t
            """)
        return try await storedRow(builder, schema, id: id, on: connection)
    }

    /// The one record (JSON, version) a statement returns; 404 when it returns none.
    func storedRow(_ builder: SQLBuilder, _ schema: EntitySchema, id: UUID, on connection: PostgresConnection) async throws -> Stored {
        guard let stored = try await storedRowIfAny(builder, schema, id: id, on: connection) else {
            throw RecordError.notFound("no \(schema.name) record \(id.text)")
        }
        return stored
    }

    /// The record (JSON, version) a statement selecting `schema.columns` returns, if it returns one.
    func storedRowIfAny(_ builder: SQLBuilder, _ schema: EntitySchema, id: UUID, on connection: PostgresConnection) async throws -> Stored? {
        var stored: Stored?
        for try await row in try await builder.run(on: connection, logger: logger) {
            stored = try schema.columns.stored(row, id: id)
        }
        return stored
    }

    /// A field's value as a parameter; NULL is bound too, so the statement's text (and its
    /// prepared plan) does not depend on which fields are empty.
    func bindValue(_ builder: inout SQLBuilder, _ field: FieldSpec, _ value: JSONValue?) -> String {
        let text = value.flatMap { $0.isNull ? nil : field.type.sqlText($0) }
        return builder.bind(text, as: field.type.sqlType)
    }

    func tagNames(_ record: Record) -> [String] {
        (record["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Binds the record's tags (for its `tags` column) and returns the placeholder, with the part
    /// of a write statement that adds them to the organization's list — none for a record without
    /// tags: even inserting no rows, that CTE opened the tags table and its indexes on every write.
    func bindTags(_ record: Record, org: String, _ builder: inout SQLBuilder) -> (placeholder: String, cte: String) {
        let names = tagNames(record)
        let placeholder = builder.bind(SQLBuilder.arrayLiteral(names), as: "text[]")
        guard !names.isEmpty else { return (placeholder, "") }
        return (placeholder, "tagged AS (INSERT INTO tags (org_id, name) SELECT \(org), unnest(\(placeholder)) ON CONFLICT DO NOTHING), ")
    }

    /// The `INSERT INTO record_history … FROM row` part of a write statement.
    func historySQL(
        _ builder: inout SQLBuilder, _ schema: EntitySchema, action: String, changes: [String: (JSONValue, JSONValue)],
        principal: Principal
    ) -> String {
        let changesJSON = Self.changesJSON(changes)
        return """
            INSERT INTO record_history (org_id, id, entity, record_id, actor, action, changes)
            SELECT org_id, \(builder.bind(UUID().text, as: "uuid")), \(builder.bind(schema.name)), id,
                   \(builder.bind(principal.actorJSON.serialized(), as: "jsonb")), \(builder.bind(action)),
                   \(builder.bind(changesJSON, as: "jsonb")) FROM row
            """
    }

    /// History's `changes`: `{"field": {"from": …, "to": …}}`.
    static func changesJSON(_ changes: [String: (JSONValue, JSONValue)]) -> String {
        JSONValue.object(changes.mapValues { .object(["from": $0.0, "to": $0.1]) }).serialized()
    }

    /// 422 naming each reference field whose id is not a live record of this organization.
    func checkReferences(_ schema: EntitySchema, _ record: Record, _ principal: Principal, on connection: PostgresConnection) async throws {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        var checks: [String] = []
        var checked: [FieldSpec] = []
        for field in schema.fields {
            guard let target = field.type.referenceTarget, let value = record[field.name], !value.isNull else { continue }
            let items = (value.arrayValue ?? [value]).compactMap(\.stringValue)
            guard !items.isEmpty else { continue }
            let ids = builder.bind(SQLBuilder.arrayLiteral(items), as: "uuid[]")
            if target == "members" {
                checks.append("(SELECT count(*) FROM memberships WHERE org_id = \(org) AND user_id = ANY(\(ids))) = cardinality(\(ids))")
            } else if let table = schemas.schema(target)?.table {
                checks.append("(SELECT count(*) FROM \(table) WHERE org_id = \(org) AND id = ANY(\(ids)) AND deleted_at IS NULL) = cardinality(\(ids))")
            } else {
                continue
            }
            checked.append(field)
        }
        guard !checks.isEmpty else { return }
        builder.append("SELECT ARRAY[\(checks.joined(separator: ", "))]")
        var results: [Bool] = []
        for try await row in try await builder.run(on: connection, logger: logger) { results = try row.decode([Bool].self) }
        let errors = zip(checked, results).filter { !$0.1 }.map { field, _ in
            FieldError(field: field.name, code: "invalid_reference", message: "does not refer to a live record of this organization")
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
    }
}
