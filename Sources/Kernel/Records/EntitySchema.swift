import Foundation

/// One field of an entity: its API name, its column, its type and its rules.
public struct FieldSpec: Sendable {
    public let name: String
    public let column: String
    public let type: any FieldType
    public var required: Bool
    public var maxLength: Int?
    public var minimum: Double?
    public var maximum: Double?
    public var options: [String]?
    /// Computed by the plugin (a hook sets it); clients may not write it.
    public var readOnly: Bool
    /// Covered by `q` text search (through the table's `search_text` column).
    public var searchable: Bool

    public init(
        _ name: String, column: String, _ type: any FieldType, required: Bool = false, maxLength: Int? = nil,
        minimum: Double? = nil, maximum: Double? = nil, options: [String]? = nil, readOnly: Bool = false,
        searchable: Bool = false
    ) {
        self.name = name
        self.column = column
        self.type = type
        self.required = required
        self.maxLength = maxLength
        self.minimum = minimum
        self.maximum = maximum
        self.options = options
        self.readOnly = readOnly
        self.searchable = searchable
    }

    /// An API value (not null) checked and normalised by the field's type.
    public func normalize(_ value: JSONValue) throws -> JSONValue { try type.normalize(value, field: self) }
}

/// A record in API shape: field name → value (`custom` and `tags` included).
public typealias Record = [String: JSONValue]

/// An entity a plugin declares; the record store serves every call of API.md for it from this.
/// Its table has, besides one column per field: `org_id uuid, id uuid, custom jsonb,
/// tags text[], version int, created_at, updated_at, deleted_at timestamptz, search_text text`.
public struct EntitySchema: Sendable {
    /// The path name (`contacts`), also the hook event prefix and the history entity name.
    public let name: String
    public let table: String
    public let pluginID: String
    public let fields: [FieldSpec]
    /// SQL expression (over the table's columns) naming a record in search results.
    public let titleSQL: String
    /// Rules across fields (e.g. "at least one of firstName, lastName, email").
    public let rules: @Sendable (Record) -> [FieldError]
    /// SQL producing a record's API JSON from alias `t` (built once), for queries that nest
    /// records in a larger JSON document; the record store's own reads select `columns`.
    public let jsonSQL: String
    /// The record's columns and how they become its API JSON.
    let columns: RecordColumns

    public init(
        name: String, table: String, pluginID: String, fields: [FieldSpec], titleSQL: String,
        rules: @escaping @Sendable (Record) -> [FieldError] = { _ in [] }
    ) {
        self.name = name
        self.table = table
        self.pluginID = pluginID
        self.fields = fields
        self.titleSQL = titleSQL
        self.rules = rules
        self.jsonSQL = Self.jsonSQL(fields)
        self.columns = RecordColumns(fields)
    }

    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }

    /// System members of every record, never written by clients.
    public static let systemFields: Set<String> = ["id", "version", "createdAt", "updatedAt"]
}
