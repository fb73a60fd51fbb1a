import PostgresNIO

/// Assembles one parameterised statement: identifiers come only from schemas, every value is a
/// bound parameter (text, cast in SQL to the field's type).
struct SQLBuilder {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder (`$n`).
    mutating func bind(_ value: String?) -> String {
        if let value { binds.append(value) } else { binds.appendNull() }
        return "$\(binds.count)"
    }

    mutating func bind(_ value: String?, as type: String) -> String {
        "\(bind(value))::\(type)"
    }

    mutating func append(_ text: String) { sql += text }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    /// A PostgreSQL array literal (`{"a","b"}`) of texts, quoted safely.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// Escapes LIKE wildcards so user text matches literally.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension EntitySchema {
    static let timestampFormat = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

    /// SQL producing the record's API JSON (text) from table alias `t`, so reads pass
    /// PostgreSQL's bytes straight to the client.
    public var jsonSQL: String {
        var pairs = ["'id', t.id"]
        for field in fields {
            pairs.append("'\(field.name)', \(Self.jsonValueSQL(field, "t.\(field.column)"))")
        }
        pairs.append("'custom', t.custom")
        pairs.append("'tags', t.tags")
        pairs.append("'version', t.version")
        pairs.append("'createdAt', to_char(t.created_at AT TIME ZONE 'UTC', \(Self.timestampFormat))")
        pairs.append("'updatedAt', to_char(t.updated_at AT TIME ZONE 'UTC', \(Self.timestampFormat))")
        return "json_build_object(\(pairs.joined(separator: ", ")))::text"
    }

    static func jsonValueSQL(_ field: FieldSpec, _ column: String) -> String {
        switch field.type.sqlType {
        case "timestamptz": return "to_char(\(column) AT TIME ZONE 'UTC', \(timestampFormat))"
        case "numeric": return "\(column)::float8"
        default: return column
        }
    }
}
