import Logging
import PostgresNIO

/// Assembles one parameterised statement: identifiers come only from schemas, every value is a
/// bound parameter (text, cast in SQL to the field's type).
public struct SQLBuilder {
    var sql = ""
    /// The bound values, in placeholder order.
    var texts: [String?] = []

    /// Binds `value` and returns its placeholder (`$n`).
    public mutating func bind(_ value: String?) -> String {
        texts.append(value)
        return "$\(texts.count)"
    }

    public mutating func bind(_ value: String?, as type: String) -> String {
        "\(bind(value))::\(type)"
    }

    mutating func append(_ text: String) { sql += text }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: PreparedSQL.bindings(texts)) }

    /// Runs the statement as a named prepared statement (`PreparedSQL`): for the statements
    /// every request repeats, whose text depends only on the schema and the query's shape.
    ///
    /// `prepared: false` runs it unnamed, planned for its values each time: for text search,
    /// whose plan depends on how common each word is (a generic plan cannot know).
    func run(on connection: PostgresConnection, logger: Logger, prepared: Bool = true) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        guard prepared else { return try await connection.query(query, logger: logger).map { $0 } }
        return try await PreparedSQL.execute(sql, texts, on: connection, logger: logger)
    }

    /// A PostgreSQL array literal (`{"a","b"}`) of texts, quoted safely.
    public static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// Escapes LIKE wildcards so user text matches literally.
    public static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

/// SQL for API times: RFC 3339 in UTC, to the second (`2026-11-24T19:08:42Z`).
public enum SQLTime {
    public static func utc(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }
}

extension EntitySchema {

    /// SQL producing the record's API JSON (text) from table alias `t`, for statements that
    /// nest records in a larger document (the deals board). The record store's own reads
    /// select `RecordColumns` instead: building JSON costs PostgreSQL more than the query.
    static func jsonSQL(_ fields: [FieldSpec]) -> String {
        var pairs = ["'id', t.id"]
        for field in fields {
            pairs.append("'\(field.name)', \(Self.jsonValueSQL(field, "t.\(field.column)"))")
        }
        pairs.append("'custom', t.custom")
        pairs.append("'tags', t.tags")
        pairs.append("'version', t.version")
        pairs.append("'createdAt', \(SQLTime.utc("t.created_at"))")
        pairs.append("'updatedAt', \(SQLTime.utc("t.updated_at"))")
        return "json_build_object(\(pairs.joined(separator: ", ")))::text"
    }

    static func jsonValueSQL(_ field: FieldSpec, _ column: String) -> String {
        switch field.type.sqlType {
        case "timestamptz": return SQLTime.utc(column)
        case "numeric": return "\(column)::float8"
        default: return column
        }
    }
}
