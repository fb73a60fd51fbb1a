import Foundation
import Kernel
import Logging
import PostgresNIO
import Synchronization

/// Scripts, their versions and their recent runs, per tenant.
struct ScriptStore: Sendable {
    static let keptRuns = 100

    let database: Database
    private let pending = PendingRuns()
    var logger: Logger { database.logger }

    struct PendingRun: Sendable {
        let org: UUID
        let script: String
        let event: String
        let recordID: UUID?
        let outcome: String
        let error: String?
        let durationMs: Double
        let logs: JSONValue
    }

    struct Script: Encodable, Sendable {
        let name: String
        let source: String
        let enabled: Bool
        let version: Int
        let triggers: [String]
        let description: String?
        let updatedAt: Date
    }

    /// The enabled scripts a tenant's runs use, by name (LUA.md: tenant scripts by name).
    func entries(_ organizationID: UUID) async throws -> [ScriptEntry] {
        try await database.withScope(TenantScope(organizationID: organizationID)) { connection in
            let rows = try await connection.query(
                "SELECT name, source, triggers FROM scripts WHERE org_id = \(organizationID) AND enabled ORDER BY name",
                logger: logger)
            var entries: [ScriptEntry] = []
            for try await (name, source, triggers) in rows.decode((String, String, [String]).self) {
                entries.append(ScriptEntry(name: name, source: source, config: .object([:]), triggers: Set(triggers)))
            }
            return entries
        }
    }

    func list(_ principal: Principal, name: String? = nil) async throws -> [Script] {
        try await database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                """
                SELECT name, source, enabled, version, triggers, description, updated_at FROM scripts
                WHERE org_id = \(principal.organizationID) AND (\(name)::text IS NULL OR name = \(name)) ORDER BY name
                """, logger: logger)
            var scripts: [Script] = []
            for try await (name, source, enabled, version, triggers, description, updated)
                in rows.decode((String, String, Bool, Int, [String], String?, Date).self)
            {
                scripts.append(Script(name: name, source: source, enabled: enabled, version: version, triggers: triggers, description: description, updatedAt: updated))
            }
            return scripts
        }
    }

    /// Scripts one tenant may have (LUA.md, Fairness).
    static let maxScripts = 100

    /// Saves a new version; `true` when the script is new. Saves of one tenant take turns (a
    /// transaction-scoped advisory lock), so two concurrent `PUT`s neither number the same
    /// version twice nor both take the last place under the quota.
    func save(_ principal: Principal, name: String, source: String, enabled: Bool, triggers: [String], description: String?) async throws -> Bool {
        let org = principal.organizationID
        return try await database.transaction(principal.scope) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended('crm.scripts:' || \(org)::text, 0))", logger: logger)
            let counted = try await connection.query(
                "SELECT count(*)::int FROM scripts WHERE org_id = \(org) AND name <> \(name)", logger: logger)
            for try await others in counted.decode(Int.self) where others >= Self.maxScripts {
                throw APIError.validation([FieldError(
                    field: "name", code: "quota_exceeded",
                    message: "an organization has at most \(Self.maxScripts) scripts; delete one first")])
            }
            let rows = try await connection.query(
                """
                INSERT INTO scripts (org_id, name, source, enabled, triggers, description) VALUES (\(org), \(name), \(source), \(enabled), \(triggers), \(description))
                ON CONFLICT (org_id, name) DO UPDATE SET source = EXCLUDED.source, enabled = EXCLUDED.enabled,
                    triggers = EXCLUDED.triggers, description = EXCLUDED.description, version = scripts.version + 1, updated_at = now()
                RETURNING version
                """, logger: logger)
            var version = 1
            for try await value in rows.decode(Int.self) { version = value }
            try await connection.query(
                """
                INSERT INTO script_versions (org_id, name, version, source) VALUES (\(org), \(name), \(version), \(source))
                ON CONFLICT (org_id, name, version) DO UPDATE SET source = EXCLUDED.source, created_at = now()
                """, logger: logger)  // a version left behind by a script deleted before versions went with it
            try await PluginStates.notifyChanged(org, on: connection, logger: logger)
            return version == 1
        }
    }

    func delete(_ principal: Principal, name: String) async throws -> Bool {
        let org = principal.organizationID
        return try await database.transaction(principal.scope) { connection in
            let rows = try await connection.query("DELETE FROM scripts WHERE org_id = \(org) AND name = \(name) RETURNING name", logger: logger)
            let deleted = try await rows.collect().count > 0
            // Its versions go with it: a script saved again under the name starts at version 1.
            try await connection.query("DELETE FROM script_versions WHERE org_id = \(org) AND name = \(name)", logger: logger)
            try await PluginStates.notifyChanged(org, on: connection, logger: logger)
            return deleted
        }
    }

    /// Remembers a run. Runs are buffered and written in batches (see `flushRuns`), so a
    /// script costs its request no extra database write; a failed write cannot take a run
    /// record away either, since the record is not part of the write's transaction.
    func recordRun(_ organizationID: UUID, script: String, event: String, recordID: JSONValue?, result: RunResult) async {
        let run = PendingRun(
            org: organizationID, script: script, event: event, recordID: recordID?.stringValue.flatMap(UUID.init(text:)),
            outcome: result.outcome.rawValue, error: result.failure?.message, durationMs: result.durationMs,
            logs: JSONValue.array(result.logs.map(JSONValue.string)))
        pending.append(run)
    }

    /// Writes the buffered runs in one statement, then trims each script to its last 100–110.
    /// Flushes are chained: a reader that flushes first also waits for a flush already under
    /// way (the worker's), so it sees every run recorded before it asked.
    func flushRuns() async {
        let store = self
        await pending.chain { await store.writeRuns() }
    }

    private func writeRuns() async {
        let runs = pending.drain()
        guard !runs.isEmpty else { return }
        let rows = JSONValue.array(runs.map { run in
            [
                "org_id": .string(run.org.text), "script": .string(run.script), "event": .string(run.event),
                "record_id": run.recordID.map { .string($0.text) } ?? .null, "outcome": .string(run.outcome),
                "error": run.error.map(JSONValue.string) ?? .null, "duration_ms": .double(run.durationMs), "logs": run.logs,
            ]
        }).serialized()
        do {
            try await database.withScope(TenantScope(worker: true)) { connection in
                try await connection.query(
                    """
                    SELECT crm_record_script_runs(\(rows)::jsonb)
                    """, logger: logger)
            }
        } catch {
            logger.warning("could not record script runs", metadata: ["error": "\(PostgresErrorText.describe(error))"])
        }
    }

    func runs(_ principal: Principal, script: String, limit: Int) async throws -> String {
        await flushRuns()
        return try await database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                """
                SELECT json_build_object('at', \(unescaped: SQLTime.utc("at")), 'event', event,
                    'recordId', record_id, 'outcome', outcome, 'error', error, 'durationMs', round(duration_ms::numeric, 3), 'logs', logs)::text
                FROM script_runs WHERE org_id = \(principal.organizationID) AND script = \(script) ORDER BY at DESC LIMIT \(limit)
                """, logger: logger)
            var items: [String] = []
            for try await item in rows.decode(String.self) { items.append(item) }
            return RecordResponse.dataList(items)
        }
    }
}

/// The runs waiting for the next batch write.
final class PendingRuns: Sendable {
    static let capacity = 10_000
    private let runs = Mutex<[ScriptStore.PendingRun]>([])

    /// Drops the run when the buffer is full (the database is not keeping up).
    func append(_ run: ScriptStore.PendingRun) {
        runs.withLock { if $0.count < Self.capacity { $0.append(run) } }
    }

    private let last = Mutex<Task<Void, Never>?>(nil)

    /// Runs `flush` after the previous one has finished.
    func chain(_ flush: @escaping @Sendable () async -> Void) async {
        let task = last.withLock { last -> Task<Void, Never> in
            let previous = last
            let next = Task {
                await previous?.value
                await flush()
            }
            last = next
            return next
        }
        await task.value
    }

    func drain() -> [ScriptStore.PendingRun] {
        runs.withLock { runs in
            let drained = runs
            runs.removeAll()
            return drained
        }
    }
}
