/// Why the record store (or a query over it) refused. The store speaks no HTTP: the API maps
/// these onto problems (`APIError(_:)` in `Records/API/`), and scripts and the importer read them
/// as they are.
public enum RecordError: Error, Sendable, Equatable {
    /// No such live (or, for a restore, deleted) record in the organization.
    case notFound(String)
    /// Field values that do not fit the schema, a reference, a custom field or a hook's rule.
    case invalid([FieldError])
    /// An optimistic write (`If-Match`) against a record that has moved on.
    case staleVersion(current: Int, expected: Int)
    /// A list query that cannot be run: an unknown field or operator, a bad value or cursor.
    case badQuery(String)

    /// The field errors of an `invalid`, none for the others.
    public var fieldErrors: [FieldError] {
        if case .invalid(let errors) = self { return errors }
        return []
    }
}
