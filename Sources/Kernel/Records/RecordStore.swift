import Foundation
import Logging
import PostgresNIO

/// The one implementation of API.md's record calls for every entity a plugin declares:
/// validated writes with hooks, history, tags, references and optimistic concurrency; reads
/// that write the API's JSON straight from the rows' binary columns (`RecordColumns`). All of
/// it runs in the tenant's scope (row-level security) and also filters on `org_id` explicitly.
public struct RecordStore: Sendable {
    public let database: Database
    let pluginStates: PluginStates
    public let hooks: HookBus
    public let schemas: Schemas
    public let customFieldHook: CustomFieldHook
    let cursors: CursorSigner

    var logger: Logger { database.logger }

    init(
        database: Database, pluginStates: PluginStates, hooks: HookBus, schemas: Schemas, customFieldHook: CustomFieldHook,
        cursors: CursorSigner
    ) {
        self.cursors = cursors
        self.database = database
        self.pluginStates = pluginStates
        self.hooks = hooks
        self.schemas = schemas
        self.customFieldHook = customFieldHook
    }

    /// A stored record as the API shows it, with its version (the ETag).
    public struct Stored: Sendable {
        public let json: String
        public let version: Int
        public let id: UUID

        public var record: Record { JSONValue.parse(json)?.objectValue ?? [:] }
        public var etag: String { "\"\(version)\"" }
    }

    /// The precondition of a write: the version the client last saw (`If-Match`).
    public enum Precondition: Sendable, Equatable {
        case none
        case version(Int)
    }

    // MARK: Reads

    public func get(_ schema: EntitySchema, id: UUID, principal: Principal) async throws -> Stored {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let record = builder.bind(id.text, as: "uuid")
        builder.append("SELECT \(schema.columns.sql) FROM \(schema.table) t WHERE t.org_id = \(org) AND t.id = \(record) AND t.deleted_at IS NULL")
        return try await database.withScope(principal.scope) { connection in
            try await storedRow(builder, schema, id: id, on: connection)
        }
    }

    // MARK: Writes

    /// A create's outcome: the new record, or the first response to the same Idempotency-Key.
    public enum Created: Sendable {
        case created(Stored)
        case replayed(Idempotency.Stored)
    }

    public func create(
        _ schema: EntitySchema, body: [String: JSONValue], principal: Principal, depth: Int = 0,
        idempotency: Idempotency.Key? = nil
    ) async throws -> Created {
        let context = try await createContext(schema, principal)
        // The create is one INSERT statement, atomic on its own; a transaction only when
        // something must commit with it: what after-hooks write (the workflow outbox, a plugin's
        // rows) or the Idempotency-Key's answer. Before-hooks only read and change the record
        // (under READ COMMITTED a transaction would not make their reads atomic with the
        // INSERT either), so BEGIN and COMMIT would only add two round trips for them.
        return try await database.run(principal.scope, inTransaction: context.watchedAfter || idempotency != nil) { connection in
            if let idempotency, let replay = try await idempotency.replay(principal, on: connection, logger: logger) {
                return .replayed(replay)
            }
            let stored = try await create(schema, body: body, principal: principal, depth: depth, context: context, on: connection)
            let id = stored.id
            if let idempotency {
                try await idempotency.remember(
                    Idempotency.Stored(status: 201, body: stored.json, location: "/api/v1/\(schema.name)/\(id.text)", etag: stored.etag),
                    principal, on: connection, logger: logger)
            }
            return .created(stored)
        }
    }

    /// What every create of one entity in one organization shares: the tenant's plugins, custom
    /// fields, and whether hooks watch (an import asks once for a whole batch).
    struct CreateContext: Sendable {
        let tenant: PluginStates.Tenant
        let custom: [CustomFieldDefinition]
        let watchedBefore: Bool
        let watchedAfter: Bool
    }

    func createContext(_ schema: EntitySchema, _ principal: Principal) async throws -> CreateContext {
        let tenant = try await pluginStates.tenant(principal.organizationID)
        let custom = try await customDefinitions(schema, principal, tenant: tenant)
        let before = ["beforeCreate", "beforeSave"].map { "\(schema.name).\($0)" }
        let after = ["afterCreate", "afterSave"].map { "\(schema.name).\($0)" }
        return CreateContext(
            tenant: tenant, custom: custom,
            watchedBefore: try await hooks.watches(before, organizationID: principal.organizationID, enabled: tenant.enabled),
            watchedAfter: try await hooks.watches(after, organizationID: principal.organizationID, enabled: tenant.enabled))
    }

    /// One create on `connection`: the body checked like the API's (fields, custom fields,
    /// references, before-hooks), inserted with its history, after-hooks queued.
    func create(
        _ schema: EntitySchema, body: [String: JSONValue], principal: Principal, depth: Int, context: CreateContext,
        on connection: PostgresConnection
    ) async throws -> Stored {
        let (record, changes, event) = try await checkedNew(schema, body: body, principal: principal, depth: depth, context: context, on: connection)
        let stored = try await insert(schema, id: UUID(), record, changes: changes, custom: context.custom, principal: principal, on: connection)
        if context.watchedAfter {
            try await runAfter(
                event.renamed("\(schema.name).afterCreate"), also: "\(schema.name).afterSave", record: stored.record,
                tenant: context.tenant, on: connection)
        }
        return stored
    }

    /// A new record from a create's body, checked (fields, custom fields, references,
    /// before-hooks) and ready to insert, with its changes and the event after-hooks get.
    private func checkedNew(
        _ schema: EntitySchema, body: [String: JSONValue], principal: Principal, depth: Int, context: CreateContext,
        on connection: PostgresConnection
    ) async throws -> (Record, [String: (JSONValue, JSONValue)], HookEvent) {
        var record = try RecordInput.parse(
            body, schema: schema, customFields: CustomFieldSet(entity: schema.name, definitions: context.custom), mode: .create)
        record["custom"] = record["custom"] ?? .object([:])
        record["tags"] = record["tags"] ?? .array([])
        let event = try await checkedWrite(
            schema, &record, previous: nil, custom: context.custom, principal: principal, depth: depth, tenant: context.tenant,
            runHooks: context.watchedBefore, describe: context.watchedAfter, on: connection)
        return (record, RecordInput.changes(from: nil, to: record, schema: schema), event)
    }

    /// An import's batch on `connection`: each body checked exactly as `create` checks it
    /// (fields, custom fields, references, before-hooks), the valid ones inserted with their
    /// history in one statement, after-hooks queued for each. The result has, per body checked,
    /// nil (stored) or why it was refused: no body is started once `budget` is spent (the first
    /// always is), so the result may be shorter than `bodies`. A database error throws (the
    /// batch is then retried row by row, see `ImportWorker`).
    func createBatch(
        _ schema: EntitySchema, bodies: [[String: JSONValue]], principal: Principal, context: CreateContext,
        budget: Duration, on connection: PostgresConnection
    ) async throws -> [(any Error)?] {
        var outcomes: [(any Error)?] = []
        var valid: [(id: UUID, record: Record, changes: [String: (JSONValue, JSONValue)], event: HookEvent)] = []
        let clock = ContinuousClock()
        let end = clock.now + budget
        for body in bodies {
            if !outcomes.isEmpty, clock.now >= end { break }
            do {
                let (record, changes, event) = try await checkedNew(
                    schema, body: body, principal: principal, depth: 0, context: context, on: connection)
                valid.append((UUID(), record, changes, event))
                outcomes.append(nil)
            } catch let error as RecordError {
                outcomes.append(error)
            } catch let error as APIError where error.status.code < 500 {
                outcomes.append(error)
            } catch let error as FieldError {
                outcomes.append(RecordError.invalid([error]))
            }
        }
        guard !valid.isEmpty else { return outcomes }
        let stored = try await insertBatch(
            schema, valid.map { ($0.id, $0.record, $0.changes) }, custom: context.custom, principal: principal, on: connection)
        if context.watchedAfter {
            for (entry, record) in zip(valid, stored) {
                try await runAfter(
                    entry.event.renamed("\(schema.name).afterCreate"), also: "\(schema.name).afterSave", record: record,
                    tenant: context.tenant, on: connection)
            }
        }
        return outcomes
    }

    /// PUT (`replace`) or PATCH (`merge`) of a live record.
    public func update(
        _ schema: EntitySchema, id: UUID, body: [String: JSONValue], replace: Bool, precondition: Precondition,
        principal: Principal, depth: Int = 0
    ) async throws -> Stored {
        let tenant = try await pluginStates.tenant(principal.organizationID)
        let custom = try await customDefinitions(schema, principal, tenant: tenant)
        let input = try RecordInput.parse(
            body, schema: schema, customFields: CustomFieldSet(entity: schema.name, definitions: custom), mode: replace ? .replace : .patch)
        return try await database.transaction(principal.scope) { connection in
            let current = try await lock(schema, id: id, principal: principal, on: connection)
            try check(precondition, current)
            let previous = current.record
            var record: Record
            if replace {
                record = ["custom": .object([:]), "tags": .array([])]
                for field in schema.fields {
                    record[field.name] = field.readOnly ? previous[field.name] ?? .null : .null
                }
                record.merge(input) { _, new in new }
            } else {
                record = previous
                record.merge(input) { _, new in new }
                // PATCH merges custom keys too; `null` clears one.
                if case .object(let patch)? = input["custom"], case .object(var merged)? = previous["custom"] {
                    for (key, value) in patch { merged[key] = value.isNull ? nil : value }
                    record["custom"] = .object(merged)
                }
            }
            let event = try await checkedWrite(
                schema, &record, previous: previous, custom: custom, principal: principal, depth: depth, tenant: tenant,
                on: connection)
            let changes = RecordInput.changes(from: previous, to: record, schema: schema)
            guard !changes.isEmpty else { return current }
            let stored = try await write(schema, id: id, record, changes: changes, custom: custom, principal: principal, on: connection)
            try await runAfter(
                event.renamed("\(schema.name).afterUpdate"), also: "\(schema.name).afterSave", record: stored.record,
                tenant: tenant, on: connection)
            return stored
        }
    }

    /// Soft delete: the record disappears from reads; `restore` brings it back.
    public func delete(_ schema: EntitySchema, id: UUID, precondition: Precondition, principal: Principal, depth: Int = 0) async throws {
        let tenant = try await pluginStates.tenant(principal.organizationID)
        try await database.transaction(principal.scope) { connection in
            let current = try await lock(schema, id: id, principal: principal, on: connection)
            try check(precondition, current)
            let previous = current.record
            let event = HookEvent(
                name: "\(schema.name).beforeDelete", entity: schema.name, phase: .before, record: previous,
                previous: previous, changed: [], actor: principal, depth: depth)
            let checked = try await runBefore(event, also: nil, tenant: tenant, on: connection)
            var builder = SQLBuilder()
            let org = builder.bind(principal.organizationID.text, as: "uuid")
            let record = builder.bind(id.text, as: "uuid")
            builder.append("""
                WITH row AS (
                    UPDATE \(schema.table) t SET deleted_at = now(), version = t.version + 1
                    WHERE t.org_id = \(org) AND t.id = \(record) RETURNING t.*
                ), hist AS (
                    \(historySQL(&builder, schema, action: "delete", changes: [:], principal: principal))
                )
                SELECT count(*) FROM row
                """)
            for try await _ in try await builder.run(on: connection, logger: logger) {}
            try await runAfter(checked.renamed("\(schema.name).afterDelete"), also: nil, record: previous, tenant: tenant, on: connection)
        }
    }

    /// Brings a deleted record back: one statement (the record and its history entry), so it
    /// needs no transaction around it.
    public func restore(_ schema: EntitySchema, id: UUID, principal: Principal) async throws -> Stored {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let record = builder.bind(id.text, as: "uuid")
        builder.append("""
            WITH row AS (
                UPDATE \(schema.table) t SET deleted_at = NULL, version = t.version + 1, updated_at = clock_timestamp()
                WHERE t.org_id = \(org) AND t.id = \(record) AND t.deleted_at IS NOT NULL RETURNING t.*
            ), hist AS (
                \(historySQL(&builder, schema, action: "restore", changes: [:], principal: principal))
            )
            SELECT \(schema.columns.sql) FROM row t
            """)
        return try await database.withScope(principal.scope) { connection in
            guard let stored = try await storedRowIfAny(builder, schema, id: id, on: connection) else {
                throw RecordError.notFound("no deleted \(schema.name) record \(id.text)")
            }
            return stored
        }
    }

    // MARK: Pieces

    /// The tenant's custom fields of the entity (none while the plugin that provides them is off).
    public func customDefinitions(
        _ schema: EntitySchema, _ principal: Principal, tenant: PluginStates.Tenant? = nil
    ) async throws -> [CustomFieldDefinition] {
        try await customDefinitions(schema, organizationID: principal.organizationID, tenant: tenant)
    }

    public func customDefinitions(
        _ schema: EntitySchema, organizationID: UUID, tenant: PluginStates.Tenant? = nil
    ) async throws -> [CustomFieldDefinition] {
        guard let provider = customFieldHook.current, let providingPlugin = customFieldHook.pluginID else { return [] }
        var state = tenant
        if state == nil { state = try await pluginStates.tenant(organizationID) }
        guard state?.enabled[providingPlugin] == true else { return [] }
        return try await provider.definitions(organizationID, entity: schema.name)
    }

    func check(_ precondition: Precondition, _ current: Stored) throws {
        if case .version(let expected) = precondition, expected != current.version {
            throw RecordError.staleVersion(current: current.version, expected: expected)
        }
    }

    /// The live record, locked until the transaction ends.
    func lock(_ schema: EntitySchema, id: UUID, principal: Principal, on connection: PostgresConnection) async throws -> Stored {
        var builder = SQLBuilder()
        let org = builder.bind(principal.organizationID.text, as: "uuid")
        let record = builder.bind(id.text, as: "uuid")
        builder.append("SELECT \(schema.columns.sql) FROM \(schema.table) t WHERE t.org_id = \(org) AND t.id = \(record) AND t.deleted_at IS NULL FOR UPDATE")
        return try await storedRow(builder, schema, id: id, on: connection)
    }

    /// The part of a create (`previous` nil) or an update between reading the request and
    /// writing: the before-hooks (`before<Create|Update>`, then `beforeSave`), which may change
    /// `record`, then every check of the record it would leave. Returns the hooks' event.
    /// `runHooks` false: `HookBus.watches` said no before-handler would act on this write;
    /// `describe`: the event's `changed` is still wanted (for after-handlers).
    func checkedWrite(
        _ schema: EntitySchema, _ record: inout Record, previous: Record?, custom: [CustomFieldDefinition],
        principal: Principal, depth: Int, tenant: PluginStates.Tenant, runHooks: Bool = true, describe: Bool = false,
        on connection: PostgresConnection
    ) async throws -> HookEvent {
        let changed = runHooks || describe ? Set(RecordInput.changes(from: previous, to: record, schema: schema).keys) : []
        let event = HookEvent(
            name: "\(schema.name).before\(previous == nil ? "Create" : "Update")", entity: schema.name, phase: .before,
            record: record, previous: previous, changed: changed, actor: principal, depth: depth)
        let checked = runHooks ? try await runBefore(event, also: "\(schema.name).beforeSave", tenant: tenant, on: connection) : event
        record = checked.record
        try RecordInput.validateComplete(&record, schema: schema)
        try await applyCustomFields(&record, custom, creating: previous == nil, organizationID: principal.organizationID)
        try await checkReferences(schema, record, principal, on: connection)
        return checked
    }

    func runBefore(_ event: HookEvent, also second: String?, tenant: PluginStates.Tenant, on connection: PostgresConnection) async throws -> HookEvent {
        var event = event
        try await hooks.run(&event, enabled: tenant.enabled, on: connection)
        if let second {
            event = event.renamed(second)
            try await hooks.run(&event, enabled: tenant.enabled, on: connection)
        }
        if !event.rejections.isEmpty { throw RecordError.invalid(event.rejections) }
        return event
    }

    func runAfter(_ event: HookEvent, also second: String?, record: Record, tenant: PluginStates.Tenant, on connection: PostgresConnection) async throws {
        var event = HookEvent(
            name: event.name, entity: event.entity, phase: .after, record: record, previous: event.previous,
            changed: event.changed, actor: event.actor, depth: event.depth)
        try await hooks.run(&event, enabled: tenant.enabled, on: connection)
        if let second {
            event = event.renamed(second)
            try await hooks.run(&event, enabled: tenant.enabled, on: connection)
        }
    }
}
