import Foundation
import Hummingbird
import Kernel

/// `/scripts`: a tenant's Lua scripts (API.md, Scripts and workflows). `PUT` compiles and
/// loads first — a script that does not load is never saved.
struct ScriptRoutes {
    /// The scripting plugin's permissions (its manifest declares them): viewers read scripts,
    /// runs and jobs; admins change scripts, dry-run them and retry jobs.
    static let read = Permission("scripts.read", minimumRole: .viewer)
    static let manage = Permission("scripts.manage", minimumRole: .admin)

    let services: KernelServices
    let engine: ScriptEngine
    let store: ScriptStore
    let dispatcher: ScriptDispatcher
    /// Names of bundled Lua plugins, which tenant scripts may not take.
    let reserved: Set<String>

    static let maxSourceBytes = 256 * 1024

    func register(on routes: APIRoutes) {
        routes.get("/scripts", requires: ScriptRoutes.read, doc: ScriptingDocs.listScripts) { _, _, principal in
            try JSONResponse.make(.ok, DataEnvelope(try await store.list(principal)))
        }
        routes.get("/scripts/:name", requires: ScriptRoutes.read, doc: ScriptingDocs.getScript) { _, context, principal in
            try JSONResponse.make(.ok, try await script(try Self.name(context), principal))
        }
        routes.put("/scripts/:name", requires: ScriptRoutes.manage, doc: ScriptingDocs.putScript) { request, context, principal in
            try await put(request, context, principal)
        }
        routes.delete("/scripts/:name", requires: ScriptRoutes.manage, doc: ScriptingDocs.deleteScript) { _, context, principal in
            let name = try Self.name(context)
            guard try await store.delete(principal, name: name) else { throw APIError.notFound("no script '\(name)'") }
            engine.invalidate(principal.organizationID)
            return JSONResponse.noContent()
        }
        routes.get("/scripts/:name/runs", requires: ScriptRoutes.read, doc: ScriptingDocs.listScriptRuns) { request, context, principal in
            let name = try Self.name(context)
            _ = try await script(name, principal)
            return RecordResponse.raw(.ok, try await store.runs(principal, script: name, limit: try RecordResponse.limit(request)))
        }
        routes.post("/scripts/:name/test", requires: ScriptRoutes.manage, doc: ScriptingDocs.testScript) { request, context, principal in
            try await test(request, context, principal)
        }
    }

    static func name(_ context: CRMRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        guard name.wholeMatch(of: /[a-z][a-z0-9-]{0,62}/) != nil else {
            throw APIError.notFound("no script '\(name.prefix(64))' (names match ^[a-z][a-z0-9-]{0,62}$)")
        }
        return name
    }

    func script(_ name: String, _ principal: Principal) async throws -> ScriptStore.Script {
        guard let script = try await store.list(principal, name: name).first else { throw APIError.notFound("no script '\(name)'") }
        return script
    }

    struct PutBody: Decodable {
        let source: String
        let enabled: Bool?
    }

    func put(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let name = try Self.name(context)
        guard !reserved.contains(name) else { throw APIError.conflict("'\(name)' is the name of a bundled plugin; choose another") }
        let body = try await JSONBody.decode(PutBody.self, request, context: context, allowedKeys: ["source", "enabled"])
        guard body.source.utf8.count <= Self.maxSourceBytes else {
            throw APIError.validation([FieldError(field: "source", code: "too_long", message: "must be at most \(Self.maxSourceBytes) bytes")])
        }
        let description: JSONValue
        do {
            description = try await engine.check(principal.organizationID, name: name, source: body.source)
        } catch let failure as ScriptFailure {
            throw ScriptDispatcher.scriptError(name, event: nil, failure)
        }
        let triggers = (description["triggers"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
        let created = try await store.save(
            principal, name: name, source: body.source, enabled: body.enabled ?? true, triggers: triggers,
            description: description["description"]?.stringValue)
        engine.invalidate(principal.organizationID)
        return try JSONResponse.make(created ? .created : .ok, try await script(name, principal))
    }

    struct TestView: Encodable {
        let outcome: String
        let record: JSONValue?
        let errors: [FieldError]
        let logs: [String]
        let writes: [JSONValue]
        let instructions: Int64
        let durationMs: Double
        let error: JSONValue?
    }

    /// A dry run: the handler runs against this input; reads see the tenant's data, writes are
    /// reported but not made, so nothing persists.
    func test(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let name = try Self.name(context)
        let body = try await JSONBody.object(request, context: context)
        let unknown = body.keys.filter { !["event", "record", "previous"].contains($0) }.sorted()
        var errors = unknown.map { FieldError(field: $0, code: "unknown_field", message: "is not a test field") }
        guard let event = body["event"]?.stringValue, event.contains(".") else {
            errors.append(FieldError(field: "event", code: "required", message: "an event name such as contacts.beforeSave"))
            throw APIError.validation(errors)
        }
        guard case .object(let record) = body["record"] ?? .object([:]) else {
            throw APIError.validation([FieldError(field: "record", code: "invalid_type", message: "must be an object")])
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let saved = try await script(name, principal)
        let entry = ScriptEntry(name: name, source: saved.source, config: .object([:]), triggers: Set(saved.triggers))
        guard entry.triggers.contains(event) else {
            throw APIError.validation([FieldError(field: "event", code: "no_handler", message: "the script has no handler for \(event)")])
        }
        let previous = body["previous"]?.objectValue
        var changed = Set<String>()
        for (key, value) in record where previous?[key] != value { changed.insert(key) }
        let hookEvent = HookEvent(
            name: event, entity: String(event.split(separator: ".").first ?? ""),
            phase: event.contains(".before") ? .before : .after, record: record, previous: previous, changed: changed,
            actor: principal)
        let phase = hookEvent.phase == .before ? dispatcher.limits.before : dispatcher.limits.after
        let host = HostCalls(store: services.records, principal: principal, maxWrites: phase.writes, simulate: true, depth: 0)
        let scripts = TenantScripts(organizationID: principal.organizationID, entries: [entry], sandbox: engine.sandbox, logger: services.logger)
        let result = await engine.run(
            entry, of: scripts, event: event, eventJSON: ScriptEvents.json(hookEvent).serialized(), phase: phase, host: host)
        scripts.states.retire()
        let failure = result.failure.map { failure -> JSONValue in
            let problem = ScriptDispatcher.scriptError(name, event: event, failure)
            return ["message": .string(problem.detail), "line": problem.extensions["line"] ?? .null]
        }
        let view = TestView(
            outcome: result.outcome.rawValue, record: result.record, errors: result.rejections, logs: result.logs,
            writes: result.writes, instructions: result.instructions, durationMs: (result.durationMs * 1000).rounded() / 1000,
            error: failure)
        return try JSONResponse.make(.ok, view)
    }
}
