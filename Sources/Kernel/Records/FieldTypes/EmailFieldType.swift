/// An email address, stored lower-case (so equality filters match any case).
public struct EmailFieldType: FieldType {
    public init() {}
    public var name: String { "email" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var orderedOperators: Bool { true }
    public var textOperators: Bool { true }

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
}
