import OpenAPIKit

/// Several of the field's `options`, as an array without repeats.
public struct MultiSelectFieldType: FieldType {
    public init() {}
    public var name: String { "multiSelect" }
    public var sqlType: String { "jsonb" }
    public var jsonType: String { "array" }
    public var sortable: Bool { false }

    /// The array itself, for containment (`@>`).
    public func customValueSQL(key: String) -> String { "(t.custom -> '\(key)')" }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .array(let items) = value else { throw wrongType(field, "an array of options") }
        var seen = Set<String>()
        var result: [JSONValue] = []
        for item in items {
            guard case .string(let option) = item, field.options?.contains(option) ?? false else {
                throw FieldError(field: field.name, code: "invalid_option", message: "may only hold \((field.options ?? []).joined(separator: ", "))")
            }
            if seen.insert(option).inserted { result.append(item) }
        }
        return .array(result)
    }

    public func filterValue(_ text: String, field: FieldSpec) -> JSONValue? {
        field.options?.contains(text) ?? false ? .string(text) : nil
    }

    /// `eq` means "holds this option": `{key: [option]}` is contained.
    public func containmentProbe(_ value: JSONValue, op: FilterOperator) -> JSONValue? {
        guard op == .eq else { return nil }
        return .array([value])
    }

    /// `in`/`eq` hold any of the options, `ne` none of them.
    public func filterSQL(_ column: String, op: FilterOperator, values: [JSONValue], builder: inout SQLBuilder) -> String {
        guard op != .isNull else { return comparisonSQL(column, op: op, values: values, builder: &builder) }
        let options = builder.bind(SQLBuilder.arrayLiteral(values.compactMap(\.stringValue)), as: "text[]")
        return op == .ne ? "NOT (\(column) ?| \(options))" : "\(column) ?| \(options)"
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema {
        .array(uniqueItems: true, items: .string(allowedValues: field.options?.map { AnyCodable($0) }))
    }

    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema {
        .string(allowedValues: field.options?.map { AnyCodable($0) })
    }
}
