import Hummingbird

extension APIError {
    /// The problem a record-store refusal is on the API (API.md, Errors).
    public init(_ error: RecordError) {
        switch error {
        case .notFound(let detail): self = .notFound(detail)
        case .invalid(let errors): self = .validation(errors)
        case .staleVersion(let current, let expected):
            self.init(.preconditionFailed, "the record changed: it is at version \(current), not \(expected)")
        case .badQuery(let detail): self = .badRequest(detail)
        }
    }
}

extension RecordQuery {
    /// A request's query string as decoded `(name, value)` pairs (`filter[email]`, not `filter%5Bemail%5D`).
    static func items(of request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key).removingPercentEncoding ?? String($0.key), String($0.value)) }
    }

    /// The list query of a request's query string.
    static func parse(_ request: Request, schema: EntitySchema, custom: [CustomFieldDefinition] = []) throws -> RecordQuery {
        try parse(items(of: request), schema: schema, custom: custom)
    }
}
