import Foundation
import OpenAPIKit

/// The id of a live record of another entity (or a member, `members`) in the same
/// organization; the record store checks that it exists.
public struct ReferenceFieldType: FieldType {
    /// The entity referred to (`companies`, `deals`, `members`, …).
    public let target: String

    public init(_ target: String) { self.target = target }
    public var referenceTarget: String? { target }
    public var name: String { "reference" }
    public var sqlType: String { "uuid" }
    public var jsonType: String { "string" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value, let id = UUID(text: text) else {
            throw FieldError(field: field.name, code: "invalid_reference", message: "must be the id (UUID) of a \(target) record")
        }
        return .string(id.text)
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .string(format: .uuid, description: "The id of a live `\(target)` record of the same organization.")
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .uuid) }
}

/// A set of ids of another entity's live records (`contactIds`).
public struct ReferenceListFieldType: FieldType {
    public let target: String

    public init(_ target: String) { self.target = target }
    public var referenceTarget: String? { target }
    public var name: String { "referenceList" }
    public var sqlType: String { "uuid[]" }
    public var jsonType: String { "array" }
    public var sortable: Bool { false }
    /// An empty list, never null.
    public var absentValue: JSONValue { .array([]) }
    /// `contains` (like `eq`) matches a list holding the id.
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union([.contains]) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .array(let items) = value, items.count <= (field.maxLength ?? 100) else {
            throw FieldError(field: field.name, code: "invalid_type", message: "must be an array of at most \(field.maxLength ?? 100) ids")
        }
        var seen = Set<String>()
        var ids: [JSONValue] = []
        for item in items {
            guard case .string(let text) = item, let id = UUID(text: text) else {
                throw FieldError(field: field.name, code: "invalid_reference", message: "must hold ids (UUIDs) of \(target) records")
            }
            if seen.insert(id.text).inserted { ids.append(.string(id.text)) }
        }
        return .array(ids)
    }

    public func sqlText(_ value: JSONValue) -> String {
        "{" + (value.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",") + "}"
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        UUID(text: text).map { .string($0.text) }
    }

    /// Every operator takes ids.
    public func filterValue(_ text: String, op: FilterOperator, field: FieldSpec) -> JSONValue? {
        filterValue(text, field: field)
    }

    /// The list shares an id with the values (`ne`: shares none).
    public func filterSQL(_ column: String, op: FilterOperator, values: [JSONValue], builder: inout SQLBuilder) -> String {
        guard op != .isNull else { return comparisonSQL(column, op: op, values: values, builder: &builder) }
        let ids = builder.bind(SQLBuilder.arrayLiteral(values.compactMap(\.stringValue)), as: "uuid[]")
        return op == .ne ? "NOT (\(column) && \(ids))" : "\(column) && \(ids)"
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .array(
            description: "Ids of live `\(target)` records of the same organization.", maxItems: field.maxLength ?? 100,
            uniqueItems: true, items: .string(format: .uuid))
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .uuid) }
}
