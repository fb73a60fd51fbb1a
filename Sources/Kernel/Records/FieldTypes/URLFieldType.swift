import OpenAPIKit
import Foundation

/// An http(s) URL.
public struct URLFieldType: FieldType {
    public init() {}
    public var name: String { "url" }
    public var sqlType: String { "text" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.text) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value else { throw wrongType(field, "a string") }
        let trimmed = text.trimmed
        guard trimmed.count <= (field.maxLength ?? 2048), let url = URL(string: trimmed),
            ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false
        else {
            throw FieldError(field: field.name, code: "invalid_url", message: "must be an http(s) URL")
        }
        return .string(trimmed)
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? { .string(text) }

    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? { equalityProbe(value, op: op) }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .uri, maxLength: field.maxLength ?? 2048) }
}
