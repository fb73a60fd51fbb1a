/// The indexed columns that let a list sort or range-filter by a custom field without reading
/// every record of the organization (issue 20; `KernelMigrations.sortSlots`).
///
/// A custom value lives in `custom` (jsonb); PostgreSQL can neither sort it from an index nor,
/// under FORCE ROW LEVEL SECURITY, use an index for a comparison over it (`->>` and the casts
/// are not LEAKPROOF). So every entity table has one plain column per family of values —
/// `sort_number double precision`, `sort_text text`, `sort_time timestamptz` — each with an
/// `(org_id, column, id)` index, and a tenant marks at most one custom field of each family per
/// entity `indexed`: the record store copies that field's value into its column on every write,
/// and the list sorts and compares on the column. `double precision` rather than `numeric`:
/// PostgreSQL marks float8 and timestamptz comparisons LEAKPROOF, numeric ones not, and only a
/// leakproof comparison may use the index under RLS. A double is exact to 2^53, so an equality
/// on a number stays on the exact value (`custom @>`); ranges and sorts use the column.
public enum SortSlot: String, Sendable, CaseIterable {
    case number, text, time

    public var column: String { "sort_\(rawValue)" }
    public var sqlType: String {
        switch self {
        case .number: "double precision"
        case .text: "text"
        case .time: "timestamptz"
        }
    }

    /// Filter operators the column answers (text is indexed for sorting only).
    var operators: Set<FilterOperator> {
        switch self {
        case .number: FilterOperator.ordered
        case .time: [.eq, .ne, .lt, .lte, .gt, .gte, .in]
        case .text: []
        }
    }

    /// The bound, as errors say it.
    public static let limitText = "an entity has at most one indexed number, one text and one date custom field"

    /// Text values are indexed by their first 200 characters (a B-tree entry has a size limit),
    /// so text sorts by those; text has no range filters.
    static let textLength = 200

    /// Which family's column holds values of `type`, if any (booleans, lists and long text are
    /// not indexed).
    public static func of(_ type: any FieldType) -> SortSlot? {
        guard type.sortable else { return nil }
        switch type.sqlType {
        case "double precision", "bigint", "numeric": return .number
        case "date", "timestamptz": return .time
        case "text": return type.name == "longText" ? nil : .text
        default: return nil
        }
    }

    /// The column's text for a stored custom value (cast to `sqlType` in SQL).
    func text(_ value: JSONValue, type: any FieldType) -> String? {
        if value.isNull { return nil }
        let text = type.sortText(value)
        return self == .text ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(Self.textLength))) : text
    }

    /// The same in SQL over row `t`, for filling the column of records already stored.
    public func sql(_ definition: CustomFieldDefinition) -> String {
        let value = definition.spec.type.customValueSQL(key: definition.key)
        return self == .text ? "left(\(value), \(Self.textLength))" : "(\(value))::\(sqlType)"
    }

    /// `column = $n` for each family, for a record written with the tenant's `definitions`
    /// (NULL where no field of that family is indexed): every write binds all three, so the
    /// statement's text does not depend on the tenant.
    static func assignments(_ record: Record, _ definitions: [CustomFieldDefinition], builder: inout SQLBuilder) -> [(column: String, value: String)] {
        let custom = record["custom"]?.objectValue ?? [:]
        return allCases.map { slot in
            let definition = definitions.first { $0.sortSlot == slot }
            let text = definition.flatMap { definition in custom[definition.key].flatMap { slot.text($0, type: definition.spec.type) } }
            return (slot.column, builder.bind(text, as: slot.sqlType))
        }
    }
}
