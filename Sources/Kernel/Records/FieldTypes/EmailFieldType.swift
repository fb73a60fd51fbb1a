import OpenAPIKit

/// An email address, stored lower-case (so equality filters match any case).
public struct EmailFieldType: FieldType {
    public init() {}
    public var name: String { "email" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered).union(FilterOperator.text) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value else { throw wrongType(field, "a string") }
        let email = text.trimmed.lowercased()
        guard Validator.isEmail(email) else {
            throw FieldError(field: field.name, code: "invalid_email", message: "must be a valid email address")
        }
        return .string(email)
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        .string(text.trimmingCharacters(in: .whitespaces).lowercased())
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .email, maxLength: 254) }
}
