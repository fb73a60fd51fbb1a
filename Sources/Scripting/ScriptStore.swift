import Foundation
import Kernel
import Logging
import PostgresNIO

/// Scripts, their versions and their recent runs, per tenant.
struct ScriptStore: Sendable {
    static let keptRuns = 100

    let database: Database
    var logger: Logger { database.logger }

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

    /// Saves a new version; `true` when the script is new.
    func save(_ principal: Principal, name: String, source: String, enabled: Bool, triggers: [String], description: String?) async throws -> Bool {
        let org = principal.organizationID
        return try await database.transaction(principal.scope) { connection in
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
                "INSERT INTO script_versions (org_id, name, version, source) VALUES (\(org), \(name), \(version), \(source))", logger: logger)
            try await connection.query("SELECT pg_notify('crm_tenant_changed', \(org.text))", logger: logger)
            return version == 1
        }
    }

    func delete(_ principal: Principal, name: String) async throws -> Bool {
        let org = principal.organizationID
        return try await database.transaction(principal.scope) { connection in
            let rows = try await connection.query("DELETE FROM scripts WHERE org_id = \(org) AND name = \(name) RETURNING name", logger: logger)
            let deleted = try await rows.collect().count > 0
            try await connection.query("SELECT pg_notify('crm_tenant_changed', \(org.text))", logger: logger)
            return deleted
        }
    }

    /// Remembers a run (on its own connection: a failed write must not take the record away),
    /// keeping the last 100 per script.
    func recordRun(_ organizationID: UUID, script: String, event: String, recordID: JSONValue?, result: RunResult) async {
        let record = recordID?.stringValue.flatMap(UUID.init(uuidString:))
        let error = result.failure?.message
        let logs = JSONValue.array(result.logs.map(JSONValue.string)).serialized()
        do {
            try await database.withScope(TenantScope(organizationID: organizationID)) { connection in
                try await connection.query(
                    """
                    INSERT INTO script_runs (org_id, script, event, record_id, outcome, error, duration_ms, logs)
                    VALUES (\(organizationID), \(script), \(event), \(record), \(result.outcome.rawValue), \(error), \(result.durationMs), \(logs)::jsonb)
                    """, logger: logger)
                // Trim now and then (1 run in 10), so a busy script keeps its last 100-110 runs
                // without a delete on every run.
                if Int.random(in: 0..<10) == 0 {
                    try await connection.query(
                        """
                        DELETE FROM script_runs WHERE org_id = \(organizationID) AND script = \(script) AND id IN (
                            SELECT id FROM script_runs WHERE org_id = \(organizationID) AND script = \(script)
                            ORDER BY at DESC OFFSET \(Self.keptRuns))
                        """, logger: logger)
                }
            }
        } catch {
            logger.warning("could not record a script run", metadata: ["script": "\(script)", "error": "\(PostgresErrorText.describe(error))"])
        }
    }

    func runs(_ principal: Principal, script: String, limit: Int) async throws -> String {
        try await database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                """
                SELECT json_build_object('at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'event', event,
                    'recordId', record_id, 'outcome', outcome, 'error', error, 'durationMs', round(duration_ms::numeric, 3), 'logs', logs)::text
                FROM script_runs WHERE org_id = \(principal.organizationID) AND script = \(script) ORDER BY at DESC LIMIT \(limit)
                """, logger: logger)
            var items: [String] = []
            for try await item in rows.decode(String.self) { items.append(item) }
            return "{\"data\":[" + items.joined(separator: ",") + "]}"
        }
    }
}
