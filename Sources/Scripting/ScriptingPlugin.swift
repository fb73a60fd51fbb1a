import Foundation
import Kernel
import Logging
import PostgresNIO

/// The Lua runtime as a plugin of the kernel: it subscribes to every hook event like any
/// plugin, runs tenants' `before*` handlers in the write's transaction, queues `after*` ones
/// in the workflow outbox (same transaction) for the worker, and serves `/scripts` and
/// `/workflow-jobs`. It is part of the kernel's feature set, not listed or toggled per tenant.
public struct ScriptingPlugin: CRMPlugin {
    let sandbox: LuaSandbox
    let bundled: [BundledLuaPlugin]
    var limits: ScriptLimits { sandbox.limits }

    public init(sandbox: LuaSandbox, bundled: [BundledLuaPlugin] = []) {
        self.sandbox = sandbox
        self.bundled = bundled
    }

    public let manifest = PluginManifest(
        id: "scripting", name: "Scripts and workflows", version: "1.0.0",
        summary: "Tenant Lua scripts: validation and workflow automation",
        permissions: [ScriptRoutes.read, ScriptRoutes.manage], hidden: true)

    public var migrations: [Migration] { [ScriptingMigrations.tables, ScriptingMigrations.queuedJobs] }

    public func register(into registrar: PluginRegistrar) {
        let services = registrar.services
        ScriptingDocs.register(services.documentation)
        let store = ScriptStore(database: services.database)
        for plugin in bundled { services.externalPlugins.add(plugin.descriptor) }
        let bundled = self.bundled
        let pluginStates = services.pluginStates
        // LUA.md's order: bundled plugins by id, then the tenant's scripts by name.
        let engine = ScriptEngine(sandbox: sandbox, logger: services.logger) { organizationID in
            let tenant = try await pluginStates.tenant(organizationID)
            let plugins = try bundled.filter { tenant.enabled[$0.id] == true }.map { plugin in
                let config = try plugin.descriptor.effectiveConfig(tenant.config[plugin.id]?.objectValue ?? [:])
                return ScriptEntry(name: plugin.id, source: plugin.source, config: .object(config), triggers: plugin.triggers)
            }
            return plugins + (try await store.entries(organizationID))
        }
        services.tenantChanges.add { engine.invalidate($0) }
        let dispatcher = ScriptDispatcher(engine: engine, store: store, records: services.records, limits: limits)
        let interest: HookBus.Interest = { event, organizationID in
            !(try await engine.scripts(for: organizationID).handlers(for: event)).isEmpty
        }
        services.hooks.onEvery(order: 1000, pluginID: manifest.id, interest: interest) { event, connection in
            try await dispatcher.dispatch(&event, on: connection)
        }
        ScriptRoutes(
            services: services, engine: engine, store: store, dispatcher: dispatcher, reserved: Set(bundled.map(\.id))
        ).register(on: registrar.routes)
        WorkflowRoutes(services: services).register(on: registrar.routes)
        registrar.run(WorkflowWorker(database: services.database, dispatcher: dispatcher, readiness: services.readiness))
    }
}

/// Hands hook events to the tenant's scripts.
struct ScriptDispatcher: Sendable {
    static let maxDepth = 5

    let engine: ScriptEngine
    let store: ScriptStore
    let records: RecordStore
    let limits: ScriptLimits

    var logger: Logger { engine.logger }

    func dispatch(_ event: inout HookEvent, on connection: PostgresConnection) async throws {
        let scripts = try await engine.scripts(for: event.organizationID)
        let handlers = scripts.handlers(for: event.name)
        guard !handlers.isEmpty else { return }
        if event.phase == .after {
            // Durable: the job commits with the change, or neither does.
            let payload = ScriptEvents.json(event).serialized()
            let recordID = event.record["id"]?.stringValue.flatMap(UUID.init(text:))
            // Over the tenant's queue quota the job is stored failed, so the write still
            // commits and the refusal is visible in /workflow-jobs (LUA.md, Fairness). The
            // count stops at the quota: an index range of at most that many entries.
            let quota = limits.maxPendingJobs
            let refusal = "quota exceeded: an organization may have at most \(quota) workflow jobs queued or running"
            for entry in handlers {
                try await connection.query(
                    """
                    INSERT INTO workflow_jobs (org_id, script, event, record_id, payload, depth, status, last_error)
                    SELECT \(event.organizationID), \(entry.name), \(event.name), \(recordID), \(payload)::jsonb, \(event.depth + 1),
                        CASE WHEN queued.n >= \(quota) THEN 'failed' ELSE 'pending' END,
                        CASE WHEN queued.n >= \(quota) THEN \(refusal) END
                    FROM (SELECT count(*) AS n FROM (
                        SELECT 1 FROM workflow_jobs WHERE org_id = \(event.organizationID) AND status IN ('pending', 'running')
                        LIMIT \(quota)) queued_jobs) queued
                    """, logger: logger)
            }
            return
        }
        for entry in handlers {
            let host = HostCalls(store: records, principal: event.actor, maxWrites: 0, simulate: false, depth: event.depth)
            let result = await engine.run(
                entry, of: scripts, event: event.name, eventJSON: ScriptEvents.json(event).serialized(), phase: limits.before, host: host)
            await store.recordRun(event.organizationID, script: entry.name, event: event.name, recordID: event.record["id"], result: result)
            switch result.outcome {
            case .error:
                throw Self.scriptError(entry.name, event: event.name, result.failure)
            case .rejected:
                for rejection in result.rejections { event.reject(rejection.field, rejection.message) }
            case .ok:
                if let schema = records.schemas.schema(event.entity), let record = result.record?.objectValue {
                    event.record = Self.applying(record, to: event.record, schema: schema)
                }
            }
        }
    }

    /// A script may change the writable fields, `custom` and `tags`; the rest stays as it was.
    static func applying(_ changed: [String: JSONValue], to record: Record, schema: EntitySchema) -> Record {
        var result = record
        for field in schema.fields where !field.readOnly { result[field.name] = changed[field.name] ?? .null }
        result["custom"] = changed["custom"] ?? .object([:])
        result["tags"] = changed["tags"] ?? .array([])
        return result
    }

    static func scriptError(_ script: String, event: String?, _ failure: ScriptFailure?) -> APIError {
        let message = failure?.message ?? "script error"
        let line = failure?.line
        let text = message.replacingOccurrences(of: #"^[^:]*:\d+: "#, with: "", options: .regularExpression)
        let detail = "script \(script) failed\(event.map { " in \($0)" } ?? "")\(line.map { " at line \($0)" } ?? ""): \(text)"
        return APIError(.scriptError, detail, extensions: [
            "script": .string(script), "event": event.map(JSONValue.string) ?? .null, "line": line.map { .int(Int64($0)) } ?? .null,
        ])
    }
}
