/// One problem with one field of a request, as listed in a problem's `errors` array.
public struct FieldError: Sendable, Codable, Equatable {
    /// Dotted path of the field (`email`, `custom.tier`, `config.delayDays`).
    public var field: String
    /// Stable code (`required`, `invalid_type`, `too_long`, `unknown_field`, `rejected`, …).
    public var code: String
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

extension FieldError: Error {}
