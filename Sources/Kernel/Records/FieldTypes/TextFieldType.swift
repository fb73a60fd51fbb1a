import OpenAPIKit

/// Free text, trimmed, at most the field's `maxLength` (or the type's default) characters.
/// `text` and `longText` are this type with different default lengths.
public struct TextFieldType: FieldType {
    public let name: String
    /// The length limit of a field that sets none.
    public let defaultMaxLength: Int

    public init(name: String = "text", defaultMaxLength: Int = 255) {
        self.name = name
        self.defaultMaxLength = defaultMaxLength
    }

    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered).union(FilterOperator.text) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value else { throw wrongType(field, "a string") }
        let trimmed = text.trimmed
        let limit = field.maxLength ?? defaultMaxLength
        guard trimmed.count <= limit else {
            throw FieldError(field: field.name, code: "too_long", message: "must be at most \(limit) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw FieldError(field: field.name, code: "invalid", message: "must not contain NUL characters")
        }
        return .string(trimmed)
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(maxLength: field.maxLength ?? defaultMaxLength, allowedValues: field.options?.map { AnyCodable($0) })
    }
}
