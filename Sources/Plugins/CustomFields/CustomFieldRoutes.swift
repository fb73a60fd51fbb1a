import Foundation
import Hummingbird
import Kernel
import PostgresNIO
import Scripting

/// `/custom-fields`: define, change and remove a tenant's custom fields (API.md, Custom fields).
struct CustomFieldRoutes {
    let services: KernelServices
    let definitions: DefinitionStore
    let evaluator: ExpressionEvaluator

    var logger: Logger { services.logger }
    static let read = Permission("customfields.read", minimumRole: .viewer)
    static let manage = Permission("customfields.manage", minimumRole: .admin)
    static let maxPerEntity = 200
    static let maxOptions = 200
    static let luaKeywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil", "not",
        "or", "repeat", "return", "then", "true", "until", "while",
    ]

    func register(on routes: APIRoutes) {
        routes.get("/custom-fields", requires: Self.read, doc: CustomFieldsDocs.list) { request, _, principal in
            let entity = request.uri.queryParameters.get("entity")
            let all = try await definitions.all(principal.organizationID).filter { entity == nil || $0.entity == entity }
            return try JSONResponse.make(.ok, DataEnvelope(all))
        }
        routes.post("/custom-fields", requires: Self.manage, doc: CustomFieldsDocs.create) { request, context, principal in
            let body = try await JSONBody.object(request, context: context)
            let definition = try await validate(body, existing: nil, principal: principal)
            try await save(definition, principal: principal, previous: nil)
            return try JSONResponse.make(.created, definition, headers: [.location: "/api/v1/custom-fields/\(definition.id)"])
        }
        routes.patch("/custom-fields/:id", requires: Self.manage, doc: CustomFieldsDocs.update) { request, context, principal in
            let current = try await find(try context.uuidParameter("id"), principal)
            let body = try await JSONBody.object(request, context: context)
            let definition = try await validate(body, existing: current, principal: principal)
            try await save(definition, principal: principal, previous: current)
            return try JSONResponse.make(.ok, definition)
        }
        routes.delete("/custom-fields/:id", requires: Self.manage, doc: CustomFieldsDocs.delete) { _, context, principal in
            let definition = try await find(try context.uuidParameter("id"), principal)
            try await remove(definition, principal)
            return JSONResponse.noContent()
        }
    }

    func find(_ id: UUID, _ principal: Principal) async throws -> CustomFieldDefinition {
        guard let definition = try await definitions.all(principal.organizationID).first(where: { $0.id == id.text }) else {
            throw APIError.notFound("no custom field \(id.text)")
        }
        return definition
    }

    /// The body as a definition (a PATCH merged over `existing`), every rule checked.
    func validate(_ body: [String: JSONValue], existing: CustomFieldDefinition?, principal: Principal) async throws -> CustomFieldDefinition {
        var errors: [FieldError] = []
        let allowed: Set<String> = existing == nil
            ? ["entity", "key", "label", "type", "required", "options", "defaultValue", "validation", "formula", "indexed"]
            : ["label", "type", "required", "options", "defaultValue", "validation", "formula", "indexed"]
        for key in body.keys.sorted() where !allowed.contains(key) {
            errors.append(FieldError(field: key, code: existing != nil && ["entity", "key"].contains(key) ? "read_only" : "unknown_field",
                                     message: existing != nil && ["entity", "key"].contains(key) ? "cannot be changed" : "is not a custom field setting"))
        }
        func string(_ name: String) -> String? { body[name]?.stringValue }
        let entity = existing?.entity ?? string("entity") ?? ""
        guard let schema = services.schemas.schema(entity) else {
            errors.append(FieldError(field: "entity", code: "invalid", message: "must be one of \(services.schemas.all.map(\.name).joined(separator: ", "))"))
            throw APIError.validation(errors)
        }
        let key = existing?.key ?? string("key") ?? ""
        if existing == nil {
            if !CustomFieldDefinition.isWellFormedKey(key) {
                errors.append(FieldError(field: "key", code: "invalid", message: "must match \(CustomFieldDefinition.keyPattern)"))
            } else if schema.field(key) != nil || EntitySchema.systemFields.contains(key) || ["custom", "tags"].contains(key) {
                errors.append(FieldError(field: "key", code: "reserved", message: "is a built-in field of \(entity)"))
            } else if Self.luaKeywords.contains(key) {
                errors.append(FieldError(field: "key", code: "reserved", message: "is a reserved word"))
            }
        }
        let type = string("type") ?? existing?.type ?? ""
        if CustomFieldDefinition.types[type] == nil {
            errors.append(FieldError(field: "type", code: "invalid_option", message: "must be one of \(CustomFieldDefinition.types.keys.sorted().joined(separator: ", "))"))
        }
        var label = existing?.label ?? key
        if let value = body["label"] {
            if let text = value.stringValue, (1...200).contains(text.count) { label = text } else {
                errors.append(FieldError(field: "label", code: "invalid", message: "must be 1-200 characters"))
            }
        }
        var required = existing?.required ?? false
        if let value = body["required"] {
            if let flag = value.boolValue { required = flag } else { errors.append(FieldError(field: "required", code: "invalid_type", message: "must be true or false")) }
        }
        var options = existing?.options
        if let value = body["options"] {
            if value.isNull { options = nil } else if let items = value.arrayValue, items.count <= Self.maxOptions,
                items.allSatisfy({ ($0.stringValue?.count ?? 0) > 0 && ($0.stringValue?.count ?? 0) <= 100 }),
                Set(items).count == items.count
            {
                options = items.compactMap(\.stringValue)
            } else {
                errors.append(FieldError(field: "options", code: "invalid", message: "must be up to \(Self.maxOptions) distinct strings of 1-100 characters"))
            }
        }
        if ["select", "multiSelect"].contains(type), (options ?? []).isEmpty {
            errors.append(FieldError(field: "options", code: "required", message: "select types need options"))
        }
        var validation = existing?.validation
        if let value = body["validation"] {
            if value.isNull { validation = nil } else if let expression = value["expression"]?.stringValue {
                do { try await evaluator.check(expression, organizationID: principal.organizationID) } catch let failure as ExpressionFailure {
                    errors.append(FieldError(field: "validation.expression", code: "script_error", message: failure.message))
                } catch {}
                validation = .init(expression: expression, message: value["message"]?.stringValue ?? "is invalid")
            } else {
                errors.append(FieldError(field: "validation.expression", code: "required", message: "is required"))
            }
        }
        var formula = existing?.formula
        if let value = body["formula"] {
            if value.isNull { formula = nil } else if let text = value.stringValue {
                do { try await evaluator.check(text, organizationID: principal.organizationID) } catch let failure as ExpressionFailure {
                    errors.append(FieldError(field: "formula", code: "script_error", message: failure.message))
                } catch {}
                formula = text
            } else {
                errors.append(FieldError(field: "formula", code: "invalid_type", message: "must be a Lua expression"))
            }
        }
        var indexed = existing?.indexed ?? false
        if let value = body["indexed"] {
            if let flag = value.boolValue { indexed = flag } else { errors.append(FieldError(field: "indexed", code: "invalid_type", message: "must be true or false")) }
        }
        if indexed, let fieldType = CustomFieldDefinition.types[type], SortSlot.of(fieldType) == nil {
            errors.append(FieldError(field: "indexed", code: "invalid", message: "a \(type) field cannot be indexed"))
        }
        var definition = CustomFieldDefinition(
            id: existing?.id ?? UUID().text, entity: entity, key: key, label: label, type: type, required: required,
            options: options, defaultValue: existing?.defaultValue, validation: validation, formula: formula, indexed: indexed)
        if let value = body["defaultValue"] {
            if value.isNull { definition.defaultValue = nil } else if CustomFieldDefinition.types[type] != nil {
                do { definition.defaultValue = try definition.spec.type.normalize(value, field: definition.spec) } catch let error as FieldError {
                    errors.append(FieldError(field: "defaultValue", code: error.code, message: error.message))
                } catch {}
            }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return definition
    }

    /// Stores a new definition (`previous` nil) or a changed one. A type or option change
    /// converts the stored values in the same transaction (or nothing changes); a change of
    /// `indexed` or of the type fills or clears the sort columns (`refillSortSlot`).
    func save(_ definition: CustomFieldDefinition, principal: Principal, previous: CustomFieldDefinition?) async throws {
        let org = principal.organizationID
        let entityDefinitions = try await definitions.all(org).filter { $0.entity == definition.entity }
        let options = definition.options.map { JSONValue.array($0.map(JSONValue.string)).serialized() }
        let defaultValue = definition.defaultValue?.serialized()
        let validation = definition.validation.map {
            JSONValue.object(["expression": .string($0.expression), "message": .string($0.message)]).serialized()
        }
        if let slot = definition.sortSlot,
            let taken = entityDefinitions.first(where: { $0.id != definition.id && $0.sortSlot == slot })
        {
            throw APIError.conflict(
                "custom.\(taken.key) is already the indexed \(slot.rawValue) field of \(definition.entity): "
                    + SortSlot.limitText + " (unindex it first)")
        }
        try await services.database.transaction(principal.scope) { connection in
            if let previous {
                if definition.type != previous.type || definition.options != previous.options {
                    let updated = entityDefinitions.map { $0.id == definition.id ? definition : $0 }
                    try await convertValues(from: previous, to: definition, definitions: updated, principal, on: connection)
                }
                try await connection.query(
                    """
                    UPDATE custom_field_definitions SET label = \(definition.label), type = \(definition.type), required = \(definition.required),
                        options = \(options)::jsonb, default_value = \(defaultValue)::jsonb, validation = \(validation)::jsonb,
                        formula = \(definition.formula), indexed = \(definition.indexed), updated_at = now()
                    WHERE org_id = \(org) AND id = \(UUID(text: definition.id))
                    """, logger: logger)
                try await refillSortSlot(from: previous, to: definition, org: org, on: connection)
            } else {
                let rows = try await connection.query(
                    "SELECT count(*) FROM custom_field_definitions WHERE org_id = \(org) AND entity = \(definition.entity)", logger: logger)
                for try await count in rows.decode(Int.self) where count >= Self.maxPerEntity {
                    throw APIError.validation([FieldError(field: "entity", code: "limit", message: "at most \(Self.maxPerEntity) custom fields per entity")])
                }
                do {
                    try await connection.query(
                        """
                        INSERT INTO custom_field_definitions (org_id, id, entity, key, label, type, required, options, default_value, validation, formula, indexed)
                        VALUES (\(org), \(UUID(text: definition.id)), \(definition.entity), \(definition.key), \(definition.label), \(definition.type),
                                \(definition.required), \(options)::jsonb, \(defaultValue)::jsonb, \(validation)::jsonb, \(definition.formula),
                                \(definition.indexed))
                        """, logger: logger)
                } catch where SQLState.isUniqueViolation(error) {
                    throw APIError.conflict("custom.\(definition.key) already exists on \(definition.entity)")
                }
            }
            try await PluginStates.notifyChanged(org, on: connection, logger: logger)
        }
        announceChange(org)
    }

    /// Keeps the sort columns (`SortSlot`) in step with a changed definition's `indexed` and
    /// type: the records stored before are filled from their custom values, or cleared, in
    /// the change's transaction. One UPDATE over the organization's records of the entity
    /// (a new field has no values yet, so creating one needs none).
    func refillSortSlot(from previous: CustomFieldDefinition?, to definition: CustomFieldDefinition, org: UUID, on connection: PostgresConnection) async throws {
        guard let schema = services.schemas.schema(definition.entity) else { return }
        let before = previous?.sortSlot
        let after = definition.sortSlot
        var binds = PostgresBindings()
        binds.append(org)
        if let before, before != after {
            try await connection.query(PostgresQuery(
                unsafeSQL: "UPDATE \(schema.table) SET \(before.column) = NULL WHERE org_id = $1 AND \(before.column) IS NOT NULL",
                binds: binds), logger: logger)
        }
        if let after, before != after || previous?.type != definition.type {
            let value = after.sql(definition)
            try await connection.query(PostgresQuery(
                unsafeSQL: "UPDATE \(schema.table) t SET \(after.column) = \(value) WHERE t.org_id = $1 AND t.\(after.column) IS DISTINCT FROM \(value)",
                binds: binds), logger: logger)
        }
    }

    /// A type (or option list) change: every stored value must convert to the new type — then
    /// each changed record is written through the store (version, history, hooks) — or nothing
    /// changes and the answer is 409 with the count of values that would not convert.
    func convertValues(
        from old: CustomFieldDefinition, to new: CustomFieldDefinition, definitions updated: [CustomFieldDefinition],
        _ principal: Principal, on connection: PostgresConnection
    ) async throws {
        guard let schema = services.schemas.schema(old.entity) else { return }
        let org = principal.organizationID
        var binds = PostgresBindings()
        binds.append(org)
        binds.append(old.key)
        let rows = try await connection.query(PostgresQuery(
            unsafeSQL: "SELECT id, (custom -> $2)::text FROM \(schema.table) WHERE org_id = $1 AND custom ? $2 ORDER BY id FOR UPDATE",
            binds: binds), logger: logger)
        var converted: [UUID: JSONValue] = [:]
        var failures = 0
        for try await (id, text) in rows.decode((UUID, String).self) {
            guard let value = JSONValue.parse(text), let result = Self.convert(value, to: new) else {
                failures += 1
                continue
            }
            converted[id] = result
        }
        guard failures == 0 else {
            throw APIError(.conflict, "\(failures) stored values of custom.\(old.key) do not convert to \(new.type)",
                           extensions: ["count": .int(Int64(failures))])
        }
        try await services.records.systemUpdate(
            schema, ids: converted.keys.sorted { $0.text < $1.text }, cause: "customField.converted", organizationID: org,
            definitions: updated, on: connection
        ) { record in
            guard let id = record["id"]?.stringValue.flatMap(UUID.init(text:)), let value = converted[id],
                case .object(var custom)? = record["custom"]
            else { return }
            custom[new.key] = value
            record["custom"] = .object(custom)
        }
    }

    /// A stored value in the new type: as it is when valid, else read from its text form
    /// (`"42"` becomes 42, 42 becomes `"42"`); nil when it does not convert.
    static func convert(_ value: JSONValue, to definition: CustomFieldDefinition) -> JSONValue? {
        let type = definition.spec.type
        if let valid = try? type.normalize(value, field: definition.spec) { return valid }
        let text: String
        switch value {
        case .string(let string): text = string
        case .int, .double, .bool: text = value.serialized()
        default: return nil
        }
        if let valid = try? type.normalize(.string(text), field: definition.spec) { return valid }
        guard let parsed = type.filterValue(text, field: definition.spec) else { return nil }
        return try? type.normalize(parsed, field: definition.spec)
    }

    /// Deleting a definition hides its values: they move to the archive (kept until purged),
    /// and the records lose them through the store (version, history, hooks).
    func remove(_ definition: CustomFieldDefinition, _ principal: Principal) async throws {
        let org = principal.organizationID
        guard let schema = services.schemas.schema(definition.entity) else { return }
        let remaining = try await definitions.all(org).filter { $0.entity == definition.entity && $0.id != definition.id }
        try await services.database.transaction(principal.scope) { connection in
            var binds = PostgresBindings()
            binds.append(org)
            binds.append(definition.entity)
            binds.append(definition.key)
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO custom_field_archive (org_id, entity, record_id, key, value)
                SELECT org_id, $2, id, $3, custom -> $3 FROM \(schema.table) WHERE org_id = $1 AND custom ? $3
                """, binds: binds), logger: logger)
            var select = PostgresBindings()
            select.append(org)
            select.append(definition.key)
            let rows = try await connection.query(PostgresQuery(
                unsafeSQL: "SELECT id FROM \(schema.table) WHERE org_id = $1 AND custom ? $2 ORDER BY id", binds: select), logger: logger)
            var ids: [UUID] = []
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            try await services.records.systemUpdate(
                schema, ids: ids, cause: "customField.deleted", organizationID: org, definitions: remaining, on: connection
            ) { record in
                guard case .object(var custom)? = record["custom"] else { return }
                custom[definition.key] = nil
                record["custom"] = .object(custom)
            }
            try await connection.query(
                "DELETE FROM custom_field_definitions WHERE org_id = \(org) AND id = \(UUID(text: definition.id))", logger: logger)
            try await PluginStates.notifyChanged(org, on: connection, logger: logger)
        }
        announceChange(org)
    }

    /// After a committed change: every cache of this process at once (definitions, the tenant's
    /// OpenAPI view, scripts). The NOTIFY reaches this process too, but maybe only after the
    /// client's next request.
    private func announceChange(_ org: UUID) {
        services.tenantChanges.changed(org)
    }
}
