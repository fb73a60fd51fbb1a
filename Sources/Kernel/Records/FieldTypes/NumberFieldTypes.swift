import Foundation
import OpenAPIKit

/// A JSON number (`minimum`/`maximum` of the field apply).
public struct NumberFieldType: FieldType {
    public init() {}
    public var name: String { "number" }
    public var sqlType: String { "double precision" }
    public var jsonType: String { "number" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard let number = value.doubleValue, number.isFinite else { throw wrongType(field, "a number") }
        try field.checkRange(number)
        return value
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        finiteNumber(text)
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }
}

/// A whole number that fits 64 bits.
public struct IntegerFieldType: FieldType {
    public init() {}
    public var name: String { "integer" }
    public var sqlType: String { "bigint" }
    public var jsonType: String { "integer" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        switch value {
        case .int(let i):
            try field.checkRange(Double(i))
            return value
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15:
            try field.checkRange(d)
            return .int(Int64(d))
        default:
            throw wrongType(field, "an integer")
        }
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? { Int64(text).map(JSONValue.int) }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }
}

/// A money amount: ≥ 0 with at most two decimals (the currency is a separate field).
public struct MoneyFieldType: FieldType {
    public init() {}
    public var name: String { "money" }
    public var sqlType: String { "numeric" }
    public var jsonType: String { "number" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard let amount = value.doubleValue, amount.isFinite else { throw wrongType(field, "a number") }
        guard amount >= 0 else { throw FieldError(field: field.name, code: "too_small", message: "must be at least 0") }
        guard amount < 1e13 else { throw FieldError(field: field.name, code: "too_large", message: "must be less than 10000000000000") }
        guard abs((amount * 100).rounded() - amount * 100) < 1e-6 else {
            throw FieldError(field: field.name, code: "invalid_precision", message: "must have at most 2 decimals")
        }
        return .number((amount * 100).rounded() / 100)
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .number(description: "An amount with at most 2 decimals.", minimum: (field.minimum ?? 0, exclusive: false))
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        finiteNumber(text)
    }
}

/// An ISO 4217 currency code.
public struct CurrencyCodeFieldType: FieldType {
    public init() {}
    public var name: String { "currencyCode" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let code) = value else { throw wrongType(field, "a string") }
        guard Currency.isValid(code) else {
            throw FieldError(field: field.name, code: "invalid_currency", message: "must be an ISO 4217 code such as USD or EUR")
        }
        return value
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { APISchema.currencyCode }
}

/// true or false.
public struct BooleanFieldType: FieldType {
    public init() {}
    public var name: String { "boolean" }
    public var sqlType: String { "boolean" }
    public var jsonType: String { "boolean" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .bool = value else { throw wrongType(field, "true or false") }
        return value
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        switch text { case "true": return .bool(true); case "false": return .bool(false); default: return nil }
    }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }
}

extension FieldSpec {
    func checkRange(_ number: Double) throws {
        if let minimum, number < minimum {
            throw FieldError(field: name, code: "too_small", message: "must be at least \(JSONValue.number(minimum).serialized())")
        }
        if let maximum, number > maximum {
            throw FieldError(field: name, code: "too_large", message: "must be at most \(JSONValue.number(maximum).serialized())")
        }
    }
}
