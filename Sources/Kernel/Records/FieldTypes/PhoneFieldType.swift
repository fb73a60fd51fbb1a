import OpenAPIKit

/// A phone number: digits with an optional leading `+` and the usual separators, 3–20 digits.
public struct PhoneFieldType: FieldType {
    public init() {}
    public var name: String { "phone" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.text) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value else { throw wrongType(field, "a string") }
        let phone = text.trimmed
        let digits = phone.filter(\.isNumber).count
        let allowed = phone.allSatisfy { $0.isASCII && ($0.isNumber || " +-().".contains($0)) }
        guard allowed, (3...20).contains(digits), phone.dropFirst().allSatisfy({ $0 != "+" }) else {
            throw FieldError(field: field.name, code: "invalid_phone", message: "must be a phone number such as +1 555 0100")
        }
        return .string(phone)
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? { .string(text) }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(description: "A phone number: digits with an optional leading `+`, spaces, dashes, dots and parentheses.", examples: ["+49 30 1234567"])
    }
}
