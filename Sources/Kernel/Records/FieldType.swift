import Foundation
import OpenAPIKit

/// A list filter's operator (API.md, Lists): `filter[field][op]=value`.
public enum FilterOperator: String, CaseIterable, Sendable {
    case eq, ne, lt, lte, gt, gte, `in`, contains, startsWith, isNull

    /// What every type takes.
    public static let basic: Set<FilterOperator> = [.eq, .ne, .in, .isNull]
    public static let ordered: Set<FilterOperator> = [.lt, .lte, .gt, .gte]
    public static let text: Set<FilterOperator> = [.contains, .startsWith]
}

/// One kind of value a field can hold (text, email, money, date, reference, …). A type is one
/// file under `FieldTypes/` that says everything the kernel needs to know about its values:
/// how an API value is checked and normalised, how it is bound and compared in SQL, which
/// filter operators apply and how a filter is written, whether lists sort by it, its CSV form
/// (import and export) and its JSON Schema in the OpenAPI document. Built-in entity fields,
/// tenant custom fields and plugin configuration share these, so none of them diverge.
public protocol FieldType: Sendable {
    /// The type's name in schemas and API documents (`text`, `email`, `currency`, …).
    var name: String { get }
    /// The PostgreSQL type that bound text parameters are cast to.
    var sqlType: String { get }
    /// The JSON Schema `type` of values (`string`, `number`, `integer`, `boolean`, `array`).
    var jsonType: String { get }

    /// Checks an API value (never `null`; the store handles null) and returns it normalised.
    func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue
    /// The value of a field that has none (`null`; an empty list for a list of references).
    var absentValue: JSONValue { get }
    /// The text bound for a normalised value (cast to `sqlType` in SQL).
    func sqlText(_ value: JSONValue) -> String
    /// SQL over the custom value `key` (in `t.custom`) typed for comparison and sorting.
    func customValueSQL(key: String) -> String
    /// The text of a normalised value as `customValueSQL` reads it (an indexed custom field's
    /// sort column, `SortSlot`): `sqlText`, except where the SQL reads a part (an amount).
    func sortText(_ value: JSONValue) -> String

    /// The filter operators that apply (always `eq ne in isNull`).
    var filterOperators: Set<FilterOperator> { get }
    /// The value of a filter given as query-string text, or nil when it is not one.
    func filterValue(_ text: String, field: FieldSpec) -> JSONValue?
    /// The same for one operator (`contains` and `startsWith` take text as it is).
    func filterValue(_ text: String, op: FilterOperator, field: FieldSpec) -> JSONValue?
    /// The condition `column op values` in SQL, values bound through `builder`.
    func filterSQL(_ column: String, op: FilterOperator, values: [JSONValue], builder: inout SQLBuilder) -> String
    /// For a custom value: the JSON `{key: probe}` that `custom @>` tests when that answers the
    /// filter exactly (the GIN index on `custom` serves it), or nil when it does not.
    func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue?
    /// Whether a list may be sorted by the field (not by a list of values).
    var sortable: Bool { get }
    /// The entity whose live records the values name (`companies`, `members`, …): the store
    /// checks they exist in the organization. Nil for values that are not references.
    var referenceTarget: String? { get }

    /// A normalised value as a CSV cell (API.md, Import and export).
    func csvText(_ value: JSONValue) -> String
    /// A non-empty CSV cell as an API value, before `normalize` (wrong text → `FieldError`).
    func csvValue(_ text: String, field: FieldSpec) throws -> JSONValue

    /// The JSON Schema of the field's values in the OpenAPI document.
    func jsonSchema(_ field: FieldSpec) -> JSONSchema
    /// A filter value as it is written in a query string: text of the form `filterValue` takes.
    func queryValueSchema(_ field: FieldSpec) -> JSONSchema
}

extension FieldType {
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic }
    public var sortable: Bool { true }
    public var absentValue: JSONValue { .null }
    public var referenceTarget: String? { nil }

    /// The JSON text cast to `sqlType` (text as it is).
    public func customValueSQL(key: String) -> String {
        let text = "(t.custom ->> '\(key)')"
        return sqlType == "text" ? text : "\(text)::\(sqlType)"
    }

    public func sortText(_ value: JSONValue) -> String { sqlText(value) }

    public func sqlText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return value.serialized()
        }
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        try? normalize(.string(text), field: field)
    }

    public func filterValue(_ text: String, op: FilterOperator, field: FieldSpec) -> JSONValue? {
        FilterOperator.text.contains(op) ? .string(text) : filterValue(text, field: field)
    }

    public func filterSQL(_ column: String, op: FilterOperator, values: [JSONValue], builder: inout SQLBuilder) -> String {
        comparisonSQL(column, op: op, values: values, builder: &builder)
    }

    /// The comparison of a scalar column with bound values, by operator.
    public func comparisonSQL(_ column: String, op: FilterOperator, values: [JSONValue], builder: inout SQLBuilder) -> String {
        let value = values.first.map { sqlText($0) }
        switch op {
        case .eq: return "\(column) = \(builder.bind(value, as: sqlType))"
        case .ne: return "\(column) IS DISTINCT FROM \(builder.bind(value, as: sqlType))"
        case .lt: return "\(column) < \(builder.bind(value, as: sqlType))"
        case .lte: return "\(column) <= \(builder.bind(value, as: sqlType))"
        case .gt: return "\(column) > \(builder.bind(value, as: sqlType))"
        case .gte: return "\(column) >= \(builder.bind(value, as: sqlType))"
        case .in:
            let list = builder.bind(SQLBuilder.arrayLiteral(values.map { sqlText($0) }), as: "\(sqlType)[]")
            return "\(column) = ANY(\(list))"
        case .contains:
            return "\(column)::text ILIKE '%' || \(builder.bind(SQLBuilder.likeEscaped(value ?? ""))) || '%'"
        case .startsWith:
            return "\(column)::text ILIKE \(builder.bind(SQLBuilder.likeEscaped(value ?? ""))) || '%'"
        case .isNull:
            return values.first == .bool(true) ? "\(column) IS NULL" : "\(column) IS NOT NULL"
        }
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { nil }

    /// `eq` by containment: for types whose stored JSON equals exactly when the values do.
    func equalityProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? {
        // Not a ternary: `nil` there would be JSONValue's null literal, a probe for null.
        guard op == .eq else { return nil }
        return value
    }

    public func csvText(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .array(let items): return items.map { csvText($0) }.joined(separator: ";")
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: return String(Int64(d))
        case .double(let d):
            // Plain decimal: Swift writes 1e-05 for 0.00001, which Decimal spells out.
            let text = String(d)
            return text.contains("e") ? (Decimal(string: text).map { "\($0)" } ?? text) : text
        default: return sqlText(value)
        }
    }

    /// By `jsonType`: text as it is, numbers in plain decimal, `true`/`false`, lists with `;`.
    public func csvValue(_ text: String, field: FieldSpec) throws -> JSONValue {
        switch jsonType {
        case "integer":
            guard let number = Int64(text) else { throw wrongType(field, "an integer") }
            return .int(number)
        case "number":
            guard let number = Double(text), number.isFinite else { throw wrongType(field, "a number") }
            return .number(number)
        case "boolean":
            guard let flag = ["true": true, "false": false][text] else { throw wrongType(field, "true or false") }
            return .bool(flag)
        case "array":
            return .array(text.split(separator: ";").map { .string(String($0).trimmingCharacters(in: .whitespaces)) })
        default:
            return .string(text)
        }
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        switch jsonType {
        case "integer": return .integer(maximum: field.maximum.map { (Int($0), exclusive: false) }, minimum: field.minimum.map { (Int($0), exclusive: false) })
        case "number": return .number(maximum: field.maximum.map { ($0, exclusive: false) }, minimum: field.minimum.map { ($0, exclusive: false) })
        case "boolean": return .boolean
        case "array": return .array(items: .string)
        case "object": return .object
        default: return .string(maxLength: field.maxLength, allowedValues: field.options?.map { AnyCodable($0) })
        }
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema {
        switch jsonType {
        case "integer": return .string(pattern: "^-?[0-9]{1,15}$")
        case "number": return .string(pattern: "^-?[0-9]{1,15}(\\.[0-9]{1,6})?$")
        case "boolean": return .string(allowedValues: ["true", "false"])
        default: return .string(maxLength: 200)
        }
    }

    /// A finite number from filter text, or nil. (Not `flatMap { … ? .number($0) : nil }`:
    /// that `nil` is JSONValue's null literal, and `inf` would filter on null.)
    func finiteNumber(_ text: String) -> JSONValue? {
        guard let number = Double(text), number.isFinite else { return nil }
        return .number(number)
    }

    /// The error for a value of the wrong JSON type.
    func wrongType(_ field: FieldSpec, _ expected: String) -> FieldError {
        FieldError(field: field.name, code: "invalid_type", message: "must be \(expected)")
    }
}
