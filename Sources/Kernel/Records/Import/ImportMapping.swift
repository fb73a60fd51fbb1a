import Foundation

/// How an import's columns map onto an entity (API.md, Import and export): each header names a
/// field, a custom field (`custom.<key>`) or `tags`, by its name or its label, case aside; the
/// read-only columns (`id`, `createdAt`, `updatedAt`, `version`, computed fields, formulas) are
/// ignored. A row's cells become the body of an API create, each in its type's CSV form.
public struct ImportMapping: Sendable {
    public enum Target: Sendable, Equatable, Codable {
        case field(String)
        case custom(String)
        case tags
        case ignored
    }

    public let targets: [Target]

    /// A field's label: its name in words, first letter capital (`closeDate` → `Close date`).
    public static func label(_ name: String) -> String {
        var words = ""
        for character in name {
            if character.isUppercase, !words.isEmpty { words += " " + character.lowercased() } else { words.append(character) }
        }
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// The targets of `header`; unknown or repeated columns are field errors (`field` is the column).
    public init(header: [String], schema: EntitySchema, custom: [CustomFieldDefinition]) throws {
        func key(_ text: String) -> String { text.trimmed.lowercased() }
        var known: [String: Target] = [:]
        for name in ["id", "createdAt", "updatedAt", "version"] { known[key(name)] = .ignored }
        for field in schema.fields {
            let target: Target = field.readOnly ? .ignored : .field(field.name)
            known[key(field.name)] = target
            known[key(Self.label(field.name))] = known[key(Self.label(field.name))] ?? target
        }
        for definition in custom {
            let target: Target = definition.formula != nil ? .ignored : .custom(definition.key)
            known[key("custom.\(definition.key)")] = target
            known[key(definition.label)] = known[key(definition.label)] ?? target
        }
        known["tags"] = .tags
        var errors: [FieldError] = []
        var targets: [Target] = []
        var seen = Set<String>()
        for (index, column) in header.enumerated() {
            guard let target = known[key(column)] else {
                errors.append(FieldError(
                    field: column.isEmpty ? "column \(index + 1)" : column, code: "unknown_field",
                    message: "is not a field of \(schema.name): use a field's name or label, custom.<key> or tags"))
                continue
            }
            if target != .ignored, !seen.insert("\(target)").inserted {
                errors.append(FieldError(field: column, code: "duplicate", message: "names a field another column names too"))
            }
            targets.append(target)
        }
        if header.allSatisfy({ $0.trimmed.isEmpty }) {
            errors.append(FieldError(field: "header", code: "required", message: "the first row must name the columns"))
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        self.targets = targets
    }

    public init(targets: [Target]) { self.targets = targets }

    /// A row's cells as the body of a create; cells that do not read as their type are errors.
    public func body(_ cells: [String], schema: EntitySchema, custom: [CustomFieldDefinition]) throws -> [String: JSONValue] {
        guard cells.count <= targets.count else {
            throw RecordError.invalid([FieldError(
                field: "row", code: "invalid", message: "has \(cells.count) cells, the header \(targets.count)")])
        }
        var body: [String: JSONValue] = [:]
        var customValues: [String: JSONValue] = [:]
        var errors: [FieldError] = []
        for (target, raw) in zip(targets, cells) {
            let text = raw.trimmed
            guard !text.isEmpty else { continue }  // an empty cell is no value
            do {
                switch target {
                case .ignored:
                    continue
                case .tags:
                    body["tags"] = .array(text.split(separator: ";").map { String($0).trimmed }.filter { !$0.isEmpty }.map(JSONValue.string))
                case .field(let name):
                    guard let field = schema.field(name) else { continue }
                    body[name] = try field.type.csvValue(Self.unescaped(text, field.type), field: field)
                case .custom(let key):
                    guard let spec = custom.first(where: { $0.key == key })?.spec else { continue }
                    customValues[key] = try spec.type.csvValue(Self.unescaped(text, spec.type), field: spec)
                }
            } catch let error as FieldError {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        if !customValues.isEmpty { body["custom"] = .object(customValues) }
        return body
    }

    /// A text cell that the export wrote with an apostrophe (it starts like a formula) as it was.
    static func unescaped(_ text: String, _ type: any FieldType) -> String {
        guard text.hasPrefix("'"), RecordCSV.startsLikeFormula(text.dropFirst(), type) else { return text }
        return String(text.dropFirst())
    }
}
