import OpenAPIKit

// How each field type shows in the OpenAPI document. The defaults follow `jsonType` and the
// field's limits; types with a format or a shape of their own override them.

extension FieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        switch jsonType {
        case "integer": return .integer(maximum: field.maximum.map { (Int($0), exclusive: false) }, minimum: field.minimum.map { (Int($0), exclusive: false) })
        case "number": return .number(maximum: field.maximum.map { ($0, exclusive: false) }, minimum: field.minimum.map { ($0, exclusive: false) })
        case "boolean": return .boolean
        case "array": return .array(items: .string)
        case "object": return .object
        default:
            return .string(maxLength: field.maxLength, allowedValues: field.options?.map { AnyCodable($0) })
        }
    }
}

extension FieldType {
    /// A filter value of this type as it is written in a query string (`filter[field]=…`):
    /// text with the format or pattern `filterValue` accepts.
    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema {
        switch self {
        case is ReferenceFieldType, is ReferenceListFieldType: return .string(format: .uuid)
        case is DateTimeFieldType: return .string(format: .dateTime)
        case is DateFieldType: return .string(format: .date)
        case is SelectFieldType, is MultiSelectFieldType:
            return .string(allowedValues: field.options?.map { AnyCodable($0) })
        default: break
        }
        switch jsonType {
        case "integer": return .string(pattern: "^-?[0-9]{1,15}$")
        case "number": return .string(pattern: "^-?[0-9]{1,15}(\\.[0-9]{1,6})?$")
        case "boolean": return .string(allowedValues: ["true", "false"])
        default: return .string(maxLength: 200)
        }
    }
}

extension EmailFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .email, maxLength: 254) }
}

extension URLFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .uri, maxLength: field.maxLength ?? 2048) }
}

extension PhoneFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(description: "A phone number: digits with an optional leading `+`, spaces, dashes, dots and parentheses.", examples: ["+49 30 1234567"])
    }
}

extension DateFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .date) }
}

extension DateTimeFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .dateTime) }
}

extension MoneyFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .number(description: "An amount with at most 2 decimals.", minimum: (field.minimum ?? 0, exclusive: false))
    }
}

extension CurrencyCodeFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { APISchema.currencyCode }
}

extension SelectFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(allowedValues: field.options?.map { AnyCodable($0) })
    }
}

extension MultiSelectFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .array(uniqueItems: true, items: .string(allowedValues: field.options?.map { AnyCodable($0) }))
    }
}

extension CurrencyValueFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .object(
            description: "Money with its currency.",
            properties: [
                "amount": .number(minimum: (0, exclusive: false), examples: [12.5]),
                "currency": APISchema.currencyCode,
            ],
            additionalProperties: .a(false))
    }
}

extension ReferenceFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(format: .uuid, description: "The id of a live `\(target)` record of the same organization.")
    }
}

extension ReferenceListFieldType {
    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .array(
            description: "Ids of live `\(target)` records of the same organization.", maxItems: field.maxLength ?? 100,
            uniqueItems: true, items: .string(format: .uuid))
    }
}
