import Foundation

/// Reading a write request's body against an entity schema: every problem is collected into
/// one 422 with a field error each (unknown fields, read-only fields, wrong types, limits).
struct RecordInput {
    enum Mode { case create, replace, patch }

    static let maxTags = 50
    static let maxTagLength = 64

    /// The fields the body sets (normalised; `null` kept as a value), plus `custom` and `tags`.
    static func parse(_ body: [String: JSONValue], schema: EntitySchema, customFields: CustomFieldSet, mode: Mode) throws -> Record {
        var record: Record = [:]
        var errors: [FieldError] = []
        if mode != .patch {
            // Reported with the other errors; checked again after hooks (which may fill them).
            for field in schema.fields where field.required && (body[field.name] ?? .null).isNull {
                errors.append(FieldError(field: field.name, code: "required", message: "is required"))
            }
        }
        for (key, value) in body.sorted(by: { $0.key < $1.key }) {
            if key == "custom" {
                do { record["custom"] = try customFields.normalize(value) } catch let error as RecordError { errors += error.fieldErrors }
                continue
            }
            if key == "tags" {
                do { record["tags"] = try normalizeTags(value) } catch let error as FieldError { errors.append(error) }
                continue
            }
            guard let field = schema.field(key) else {
                if EntitySchema.systemFields.contains(key) {
                    errors.append(FieldError(field: key, code: "read_only", message: "is read-only"))
                } else {
                    errors.append(FieldError(field: key, code: "unknown_field", message: "is not a field of \(schema.name)"))
                }
                continue
            }
            if field.readOnly {
                errors.append(FieldError(field: key, code: "read_only", message: "is read-only"))
                continue
            }
            if value.isNull {
                // A required field cannot be cleared (PATCH) or left empty (PUT, reported above).
                if field.required {
                    if mode == .patch { errors.append(FieldError(field: key, code: "required", message: "is required and cannot be cleared")) }
                    continue
                }
                record[key] = .null
                continue
            }
            do { record[key] = try field.type.normalize(value, field: field) } catch let error as FieldError { errors.append(error) }
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        return record
    }

    static func normalizeTags(_ value: JSONValue) throws -> JSONValue {
        if value.isNull { return .array([]) }
        guard case .array(let items) = value, items.count <= maxTags else {
            throw FieldError(field: "tags", code: "invalid_type", message: "must be an array of at most \(maxTags) tag names")
        }
        var seen = Set<String>()
        var tags: [JSONValue] = []
        for item in items {
            guard case .string(let raw) = item else {
                throw FieldError(field: "tags", code: "invalid_type", message: "must hold strings")
            }
            let tag = raw.trimmed
            guard (1...maxTagLength).contains(tag.count), !tag.contains(",") else {
                throw FieldError(field: "tags", code: "invalid_tag", message: "tag names are 1-\(maxTagLength) characters without commas")
            }
            if seen.insert(tag.lowercased()).inserted { tags.append(.string(tag)) }
        }
        return .array(tags)
    }

    /// Re-checks every field of a complete record (after hooks changed it), then required
    /// fields and the entity's rules.
    static func validateComplete(_ record: inout Record, schema: EntitySchema) throws {
        var errors: [FieldError] = []
        for field in schema.fields {
            guard let value = record[field.name], !value.isNull else {
                if field.required, field.type.absentValue.isNull {
                    errors.append(FieldError(field: field.name, code: "required", message: "is required"))
                }
                record[field.name] = field.type.absentValue
                continue
            }
            do { record[field.name] = try field.type.normalize(value, field: field) } catch let error as FieldError { errors.append(error) }
        }
        if errors.isEmpty { errors = schema.rules(record) }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
    }

    /// Field names whose values differ between two records (custom keys as `custom.<key>`).
    static func changes(from old: Record?, to new: Record, schema: EntitySchema) -> [String: (JSONValue, JSONValue)] {
        var result: [String: (JSONValue, JSONValue)] = [:]
        for field in schema.fields {
            let before = old?[field.name] ?? .null
            let after = new[field.name] ?? .null
            if before != after { result[field.name] = (before, after) }
        }
        let oldCustom = old?["custom"]?.objectValue ?? [:]
        let newCustom = new["custom"]?.objectValue ?? [:]
        for key in Set(oldCustom.keys).union(newCustom.keys) where oldCustom[key] != newCustom[key] {
            result["custom.\(key)"] = (oldCustom[key] ?? .null, newCustom[key] ?? .null)
        }
        let oldTags = old?["tags"] ?? .array([])
        let newTags = new["tags"] ?? .array([])
        if oldTags != newTags { result["tags"] = (oldTags, newTags) }
        return result
    }
}

/// The custom fields a tenant has defined for an entity: how a write's `custom` object is read.
public struct CustomFieldSet: Sendable {
    public let entity: String
    public let definitions: [CustomFieldDefinition]

    public init(entity: String, definitions: [CustomFieldDefinition]) {
        self.entity = entity
        self.definitions = definitions
    }

    /// Unknown keys, formula keys and wrong types are field errors; `null` is kept (it clears
    /// a key on PATCH and is a value for `required`).
    func normalize(_ value: JSONValue) throws -> JSONValue {
        if value.isNull { return .object([:]) }
        guard case .object(let object) = value else {
            throw RecordError.invalid([FieldError(field: "custom", code: "invalid_type", message: "must be an object")])
        }
        var errors: [FieldError] = []
        var result: [String: JSONValue] = [:]
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            guard let definition = definitions.first(where: { $0.key == key }) else {
                errors.append(FieldError(field: "custom.\(key)", code: "unknown_field", message: "no custom field '\(key)' is defined for \(entity)"))
                continue
            }
            if definition.formula != nil {
                errors.append(FieldError(field: "custom.\(key)", code: "read_only", message: "is a formula and cannot be written"))
                continue
            }
            if item.isNull {
                result[key] = .null
                continue
            }
            do { result[key] = try definition.spec.type.normalize(item, field: definition.spec) } catch let error as FieldError { errors.append(error) }
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        return .object(result)
    }
}
