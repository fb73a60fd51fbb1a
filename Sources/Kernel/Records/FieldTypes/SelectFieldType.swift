import OpenAPIKit

/// One of the field's `options`.
public struct SelectFieldType: FieldType {
    public init() {}
    public var name: String { "select" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let option) = value else { throw wrongType(field, "a string") }
        guard field.options?.contains(option) ?? false else {
            throw FieldError(field: field.name, code: "invalid_option", message: "must be one of \((field.options ?? []).joined(separator: ", "))")
        }
        return value
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(allowedValues: field.options?.map { AnyCodable($0) })
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { jsonSchema(field) }
}
