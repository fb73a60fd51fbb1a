import Foundation
import OpenAPIKit

/// One kind of value a field can hold (text, email, money, date, reference, …): how an API
/// value is checked and normalised, how it is bound in SQL, how a filter's text is read, and
/// which filter operators make sense. Built-in entity fields and tenant custom fields share
/// these, so validation, filtering and the OpenAPI schema never diverge.
public protocol FieldType: Sendable {
    /// The type's name in schemas and API documents (`text`, `email`, `currency`, …).
    var name: String { get }
    /// The PostgreSQL type that bound text parameters are cast to.
    var sqlType: String { get }
    /// The JSON Schema `type` of values (`string`, `number`, `integer`, `boolean`, `array`).
    var jsonType: String { get }
    /// Checks an API value (never `null`; the store handles null) and returns it normalised.
    func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue
    /// The text bound for a normalised value (cast to `sqlType` in SQL).
    func sqlText(_ value: JSONValue) -> String
    /// The value of a filter given as query-string text, or nil when it is not one.
    func filterValue(_ text: String, field: FieldSpec) -> JSONValue?
    /// Operators beyond `eq ne in isNull` that apply.
    var orderedOperators: Bool { get }
    var textOperators: Bool { get }
    /// The JSON Schema of the field's values in the OpenAPI document (see `FieldType+Schema`).
    func jsonSchema(_ field: FieldSpec) -> JSONSchema
    /// Whether a list may be sorted by the field (not by a list of values).
    var sortable: Bool { get }
    /// SQL over the custom value `key` (in `t.custom`) typed for comparison and sorting.
    func customValueSQL(key: String) -> String
}

extension FieldType {
    public var orderedOperators: Bool { false }
    public var textOperators: Bool { false }
    public var sortable: Bool { true }

    /// The JSON text cast to `sqlType` (text as it is).
    public func customValueSQL(key: String) -> String {
        let text = "(t.custom ->> '\(key)')"
        return sqlType == "text" ? text : "\(text)::\(sqlType)"
    }

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

    /// The error for a value of the wrong JSON type.
    func wrongType(_ field: FieldSpec, _ expected: String) -> FieldError {
        FieldError(field: field.name, code: "invalid_type", message: "must be \(expected)")
    }
}

extension FieldError: Error {}
