/// Free text, trimmed; `maxLength` of the field applies (default 255).
public struct TextFieldType: FieldType {
    public init() {}
    public var name: String { "text" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var orderedOperators: Bool { true }
    public var textOperators: Bool { true }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value else { throw wrongType(field, "a string") }
        let trimmed = text.trimmed
        let limit = field.maxLength ?? 255
        guard trimmed.count <= limit else {
            throw FieldError(field: field.name, code: "too_long", message: "must be at most \(limit) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw FieldError(field: field.name, code: "invalid", message: "must not contain NUL characters")
        }
        return .string(trimmed)
    }
}
