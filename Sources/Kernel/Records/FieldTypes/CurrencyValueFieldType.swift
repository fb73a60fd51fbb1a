/// Money with its currency: `{"amount": 12.5, "currency": "EUR"}` (amount ≥ 0, at most two
/// decimals; a bare number is refused, since the currency would be a guess).
public struct CurrencyValueFieldType: FieldType {
    public init() {}
    public var name: String { "currency" }
    public var sqlType: String { "numeric" }
    public var jsonType: String { "object" }
    public var orderedOperators: Bool { true }

    /// The amount: values compare and sort by it, whatever their currencies.
    public func customValueSQL(key: String) -> String { "(t.custom -> '\(key)' ->> 'amount')::numeric" }

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
        Double(text).flatMap { $0.isFinite ? JSONValue.number($0) : nil }
    }
}
