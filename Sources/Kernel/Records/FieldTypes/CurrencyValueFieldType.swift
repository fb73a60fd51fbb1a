import Foundation
import OpenAPIKit

/// Money with its currency: `{"amount": 12.5, "currency": "EUR"}` (amount ≥ 0, at most two
/// decimals; a bare number is refused, since the currency would be a guess).
public struct CurrencyValueFieldType: FieldType {
    public init() {}
    public var name: String { "currency" }
    public var sqlType: String { "numeric" }
    public var jsonType: String { "object" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    /// The amount: values compare and sort by it, whatever their currencies.
    public func customValueSQL(key: String) -> String { "(t.custom -> '\(key)' ->> 'amount')::numeric" }
    public func sortText(_ value: JSONValue) -> String { value["amount"].map { sqlText($0) } ?? "" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .object(let object) = value, Set(object.keys) == ["amount", "currency"], let amount = object["amount"],
            let currency = object["currency"]
        else {
            throw FieldError(field: field.name, code: "invalid_type", message: "must be {\"amount\": number, \"currency\": \"ISO 4217 code\"}")
        }
        let money = try MoneyFieldType().normalize(amount, field: field)
        let code = try CurrencyCodeFieldType().normalize(currency, field: field)
        return .object(["amount": money, "currency": code])
    }

    /// Filters compare the amount.
    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        finiteNumber(text)
    }

    /// `12.50 EUR`.
    public func csvText(_ value: JSONValue) -> String {
        guard let amount = value["amount"]?.doubleValue, let currency = value["currency"]?.stringValue else { return "" }
        return "\(String(format: "%.2f", amount)) \(currency)"
    }

    public func csvValue(_ text: String, field: FieldSpec) throws -> JSONValue {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let amount = Double(parts[0]), amount.isFinite else {
            throw FieldError(field: field.name, code: "invalid_type", message: "must be an amount and a currency, such as 12.50 EUR")
        }
        return .object(["amount": .number(amount), "currency": .string(String(parts[1]))])
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .object(
            description: "Money with its currency.",
            properties: [
                "amount": .number(minimum: (0, exclusive: false), examples: [12.5]),
                "currency": APISchema.currencyCode,
            ],
            additionalProperties: .a(false))
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { .string(pattern: "^-?[0-9]{1,15}(\\.[0-9]{1,6})?$") }
}
