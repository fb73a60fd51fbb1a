import Foundation

/// The CSV form of records (API.md, Import and export): the columns of an entity and a
/// tenant's custom fields, and records written as RFC 4180 lines, each value in its type's CSV
/// form (`FieldType.csvText`).
public struct RecordCSV: Sendable {
    /// A column: its header name and how a record's value is found.
    struct Column: Sendable {
        let header: String
        let value: @Sendable (JSONValue) -> String
    }

    let columns: [Column]

    /// `id, createdAt, updatedAt, version`, every field, `custom.<key>` per definition, `tags`.
    public init(_ schema: EntitySchema, custom: [CustomFieldDefinition]) {
        var columns = ["id", "createdAt", "updatedAt", "version"].map { name in
            Column(header: name) { record in record[name].map { TextFieldType().csvText($0) } ?? "" }
        }
        for field in schema.fields {
            let type = field.type
            columns.append(Column(header: field.name) { record in Self.cell(record[field.name], type) })
        }
        for definition in custom {
            let type = definition.spec.type
            columns.append(Column(header: "custom.\(definition.key)") { record in Self.cell(record["custom"]?[definition.key], type) })
        }
        columns.append(Column(header: "tags") { record in
            (record["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ";")
        })
        self.columns = columns
    }

    static func cell(_ value: JSONValue?, _ type: any FieldType) -> String {
        guard let value, !value.isNull else { return "" }
        let text = type.csvText(value)
        // A text cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+1`, `@SUM`)
        // is written with a leading apostrophe, which spreadsheets show as text and the
        // importer takes off again (OWASP, CSV injection). Numbers keep their sign.
        return startsLikeFormula(text, type) ? "'" + text : text
    }

    /// Whether a cell of `type` reading `text` is one a spreadsheet would run as a formula:
    /// text (not a number) starting with `= + - @`, a tab or a CR.
    static func startsLikeFormula(_ text: some StringProtocol, _ type: any FieldType) -> Bool {
        guard type.jsonType == "string" || type.jsonType == "array", let first = text.unicodeScalars.first else { return false }
        return "=+-@\t\r".unicodeScalars.contains(first)
    }

    /// The header line.
    public var header: String { Self.line(columns.map(\.header)) }

    /// One record (API JSON) as a line.
    public func line(_ record: JSONValue) -> String { Self.line(columns.map { $0.value(record) }) }

    /// Cells joined by commas, quoted where RFC 4180 asks, ended by CRLF.
    static func line(_ cells: [String]) -> String {
        cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",") + "\r\n"
    }
}
