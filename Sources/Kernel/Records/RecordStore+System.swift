import Foundation
import PostgresNIO

extension RecordStore {
    /// A change the server makes to stored records because something else changed — a stage's
    /// kind (the deals' `status`), a deleted tag, a custom field's new type (DESIGN.md: every
    /// change to a record goes through the store). Each record gets what a write gets: `version`
    /// + 1 (so an old `ETag` no longer matches), a history entry by the `system` actor naming
    /// `cause`, its formulas computed again, and — for live records — the after-hooks
    /// (`afterUpdate`, `afterSave`; Lua's go to the workflow outbox). Before-hooks and record
    /// validation do not run: the change follows from one already accepted, and an unrelated
    /// rule (a custom field made required later) must not block it. Deleted records change
    /// too, without hooks, so a restore brings back consistent data.
    ///
    /// Runs in the caller's transaction (`connection`, acting as the organization) on the
    /// records `ids` names; `change` edits each record and the ones it leaves as they were are
    /// not written. `definitions` replaces the tenant's custom fields (a type change being
    /// saved in this transaction). Returns how many records changed.
    @discardableResult
    public func systemUpdate(
        _ schema: EntitySchema, ids: [UUID], cause: String, organizationID: UUID,
        definitions: [CustomFieldDefinition]? = nil, on connection: PostgresConnection,
        _ change: (inout Record) throws -> Void
    ) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let principal = Principal.system(cause, organizationID: organizationID)
        let tenant = try await pluginStates.tenant(organizationID)
        var custom = definitions
        if custom == nil { custom = try await customDefinitions(schema, organizationID: organizationID, tenant: tenant) }
        var written = 0
        for id in ids {
            guard let (current, deleted) = try await lockAny(schema, id: id, organizationID: organizationID, on: connection) else { continue }
            let previous = current.record
            var record = previous
            try change(&record)
            await computeFormulas(&record, custom ?? [], organizationID: organizationID)
            let changes = RecordInput.changes(from: previous, to: record, schema: schema)
            guard !changes.isEmpty else { continue }
            let stored = try await write(
                schema, id: id, record, changes: changes, custom: custom ?? [], principal: principal, includeDeleted: true, on: connection)
            written += 1
            guard !deleted else { continue }
            let event = HookEvent(
                name: "\(schema.name).afterUpdate", entity: schema.name, phase: .after, record: stored.record, previous: previous,
                changed: Set(changes.keys), actor: principal)
            try await runAfter(event, also: "\(schema.name).afterSave", record: stored.record, tenant: tenant, on: connection)
        }
        return written
    }

    /// The record, live or deleted, locked until the transaction ends, and whether it is deleted.
    private func lockAny(
        _ schema: EntitySchema, id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws -> (Stored, Bool)? {
        var builder = SQLBuilder()
        let org = builder.bind(organizationID.text, as: "uuid")
        let record = builder.bind(id.text, as: "uuid")
        builder.append("SELECT \(schema.columns.sql) FROM \(schema.table) t WHERE t.org_id = \(org) AND t.id = \(record) FOR UPDATE")
        guard let stored = try await storedRowIfAny(builder, schema, id: id, on: connection) else { return nil }
        var check = SQLBuilder()
        let checkOrg = check.bind(organizationID.text, as: "uuid")
        let checkID = check.bind(id.text, as: "uuid")
        check.append("SELECT t.deleted_at IS NOT NULL FROM \(schema.table) t WHERE t.org_id = \(checkOrg) AND t.id = \(checkID)")
        var deleted = false
        for try await row in try await check.run(on: connection, logger: logger) { deleted = try row.decode(Bool.self) }
        return (stored, deleted)
    }
}
