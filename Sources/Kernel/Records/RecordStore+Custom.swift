import Foundation

extension RecordStore {
    /// After hooks: defaults (on create), types again (hooks may have changed values),
    /// required values, the Lua `validation` of each value the record ends with, and formulas
    /// computed and stored (a failing formula stores null and is logged, the write goes on).
    func applyCustomFields(
        _ record: inout Record, _ definitions: [CustomFieldDefinition], creating: Bool, organizationID: UUID
    ) async throws {
        guard !definitions.isEmpty else { return }
        var custom = record["custom"]?.objectValue ?? [:]
        var errors: [FieldError] = []
        for definition in definitions where definition.formula == nil {
            let field = "custom.\(definition.key)"
            if creating, custom[definition.key] == nil, let fallback = definition.defaultValue, !fallback.isNull {
                custom[definition.key] = fallback
            }
            guard let value = custom[definition.key], !value.isNull else {
                if definition.required { errors.append(FieldError(field: field, code: "required", message: "is required")) }
                custom[definition.key] = nil
                continue
            }
            do {
                custom[definition.key] = try definition.spec.type.normalize(value, field: definition.spec)
            } catch let error as FieldError {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        record["custom"] = .object(custom)
        guard let provider = customFieldHook.current else { return }

        for definition in definitions {
            guard let validation = definition.validation, let value = custom[definition.key] else { continue }
            switch await provider.evaluate(validation.expression, value: value, record: record, organizationID: organizationID) {
            case .success(let result):
                if result.isNull || result == .bool(false) {
                    errors.append(FieldError(field: "custom.\(definition.key)", code: "invalid", message: validation.message))
                }
            case .failure(let failure):
                errors.append(FieldError(field: "custom.\(definition.key)", code: "script_error", message: "validation failed to run: \(failure.message)"))
            }
        }
        if !errors.isEmpty { throw RecordError.invalid(errors) }
        await computeFormulas(&record, definitions, organizationID: organizationID)
    }

    /// Each formula field computed from the record and stored with it.
    func computeFormulas(_ record: inout Record, _ definitions: [CustomFieldDefinition], organizationID: UUID) async {
        guard let provider = customFieldHook.current else { return }
        var custom = record["custom"]?.objectValue ?? [:]
        for definition in definitions {
            guard let formula = definition.formula else { continue }
            switch await provider.evaluate(formula, value: .null, record: record, organizationID: organizationID) {
            case .success(let value):
                custom[definition.key] = value.isNull ? nil : value
            case .failure(let failure):
                custom[definition.key] = nil
                logger.warning("formula failed", metadata: ["field": "custom.\(definition.key)", "error": "\(failure.message)"])
            }
            record["custom"] = .object(custom)
        }
    }
}
