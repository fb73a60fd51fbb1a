import Foundation
import NIOCore
import PostgresNIO

/// A record as reads select it — its columns, in PostgreSQL's binary form — and the API JSON
/// the server writes from them (`JSONWriter`), so PostgreSQL does not build JSON per row.
struct RecordColumns: Sendable {
    /// The select list over alias `t`: id, the fields, custom, tags, version, created, updated.
    let sql: String
    /// Each column's JSON key with the punctuation before it: `{"id":`, `,"firstName":`, ….
    private let keys: [[UInt8]]
    private let versionIndex: Int

    var count: Int { keys.count }

    init(_ fields: [FieldSpec]) {
        var columns: [(key: String, sql: String)] = [("id", "t.id")]
        for field in fields {
            // numeric has no cheap binary form to write; the API shows it as a JSON number anyway.
            let sql = field.type.sqlType == "numeric" ? "t.\(field.column)::float8" : "t.\(field.column)"
            columns.append((field.name, sql))
        }
        columns += [
            ("custom", "t.custom"), ("tags", "t.tags"), ("version", "t.version"), ("createdAt", "t.created_at"),
            ("updatedAt", "t.updated_at"),
        ]
        sql = columns.map(\.sql).joined(separator: ", ")
        keys = columns.enumerated().map { index, column in
            var writer = JSONWriter(capacity: column.key.utf8.count + 4)
            writer.raw(index == 0 ? "{" : ",")
            writer.string(column.key)
            writer.raw(":")
            return writer.bytes
        }
        versionIndex = columns.count - 3
    }

    /// Writes the record in `row` (its first `count` cells) as JSON; returns its version.
    @discardableResult
    func write(_ row: PostgresRow, into writer: inout JSONWriter) throws -> Int {
        var version = 0
        var index = 0
        for cell in row {
            guard index < keys.count else { break }
            writer.raw(keys[index])
            try writer.value(cell)
            if index == versionIndex { version = try cell.decode(Int.self) }
            index += 1
        }
        guard index == keys.count else { throw PostgresJSONError.malformed("record row of \(index) columns") }
        writer.raw("}")
        return version
    }

    /// The record in `row` as its JSON text and version.
    func stored(_ row: PostgresRow, id: UUID) throws -> RecordStore.Stored {
        var writer = JSONWriter()
        let version = try write(row, into: &writer)
        return RecordStore.Stored(json: writer.text, version: version, id: id)
    }
}
