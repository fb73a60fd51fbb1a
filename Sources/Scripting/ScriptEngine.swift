import Foundation
import Kernel
import Logging
import Synchronization

/// A script of a tenant as the engine runs it: its own (uploaded) or a bundled Lua plugin the
/// tenant enabled, with that plugin's configuration.
public struct ScriptEntry: Sendable {
    public let name: String
    public let source: String
    public let config: JSONValue
    public let triggers: Set<String>
}

/// What one handler run came to (LUA.md; the shape `/scripts/{name}/test` answers).
public struct RunResult: Sendable {
    public enum Outcome: String, Sendable { case ok, rejected, error }

    public var outcome: Outcome
    public var record: JSONValue?
    public var rejections: [FieldError] = []
    public var failure: ScriptFailure?
    public var logs: [String] = []
    public var writes: [JSONValue] = []
    public var instructions: Int64 = 0
    public var durationMs: Double = 0
}

/// A tenant's loaded scripts with its pool of Lua states that have them all loaded; a run
/// checks one out, so states are never shared by two runs.
final class TenantScripts: Sendable {
    let entries: [ScriptEntry]
    let states: StatePool<LuaRuntime>
    /// Idle states kept per tenant: enough for a busy tenant's concurrency without paying
    /// for loading its scripts again (a state with a few scripts is ~100 KiB).
    static let idleKept = 4

    init(organizationID: UUID, entries: [ScriptEntry], sandbox: LuaSandbox, logger: Logger) {
        self.entries = entries
        self.states = StatePool(tenant: organizationID, sandbox: sandbox, idleKept: Self.idleKept) {
            let runtime = try sandbox.newState()
            for entry in entries {
                if case .error(let message) = runtime.load(name: entry.name, source: entry.source, limits: sandbox.limits.before) {
                    logger.warning("script does not load", metadata: ["script": "\(entry.name)", "error": "\(message)"])
                }
            }
            return runtime
        }
    }

    /// Scripts whose first attempt overran (`LuaSandbox.firstAttempt`): their runs go to the
    /// Lua threads at once, until the tenant's scripts change.
    private let overran = Mutex<Set<String>>([])

    func hasOverrun(_ name: String) -> Bool { overran.withLock { $0.contains(name) } }
    func markOverrun(_ name: String) { _ = overran.withLock { $0.insert(name) } }

    func handlers(for event: String) -> [ScriptEntry] {
        entries.filter { $0.triggers.contains(event) }
    }
}

/// Runs tenants' scripts: caches each tenant's script set (dropped when the tenant's scripts or
/// plugin settings change, in any process), and drives a run — Lua steps on the sandbox's Lua
/// threads, `crm.*` calls answered by `HostCalls` on the caller's task between them.
public final class ScriptEngine: Sendable {
    let sandbox: LuaSandbox
    let logger: Logger
    let loadEntries: @Sendable (UUID) async throws -> [ScriptEntry]
    private let cache = TenantCache<TenantScripts> { $0.states.retire() }

    var limits: ScriptLimits { sandbox.limits }

    init(sandbox: LuaSandbox, logger: Logger, loadEntries: @escaping @Sendable (UUID) async throws -> [ScriptEntry]) {
        self.sandbox = sandbox
        self.logger = logger
        self.loadEntries = loadEntries
    }

    func scripts(for organizationID: UUID) async throws -> TenantScripts {
        if let cached = cache.get(organizationID) { return cached }
        let scripts = TenantScripts(
            organizationID: organizationID, entries: try await loadEntries(organizationID), sandbox: sandbox, logger: logger)
        return cache.getOrInsert(organizationID, scripts)
    }

    public func invalidate(_ organizationID: UUID?) {
        cache.remove(organizationID)
    }

    /// Compiles and loads `source` in a scratch state of the tenant: its description, or why
    /// it cannot run.
    func check(_ organizationID: UUID, name: String, source: String) async throws -> JSONValue {
        try await sandbox.describe(organizationID, name: name, source: source)
    }

    /// Runs `entry`'s handler for `event` on a state of `scripts`: a handler that cannot write
    /// first on the caller's thread within `LuaSandbox.firstAttempt`, else (or when that
    /// overruns) on the Lua threads in the tenant's turn.
    func run(
        _ entry: ScriptEntry, of scripts: TenantScripts, event: String, eventJSON: String, phase: ScriptLimits.Phase,
        host: HostCalls
    ) async -> RunResult {
        let started = ContinuousClock.now
        var result: RunResult
        if let attempt = LuaSandbox.firstAttempt(within: phase), !scripts.hasOverrun(entry.name) {
            result = await attemptRun(entry, of: scripts, event: event, eventJSON: eventJSON, phase: attempt, host: host, inline: true)
            if LuaSandbox.overran(result.failure?.message) {
                scripts.markOverrun(entry.name)
                host.forgetLogs()
                result = await attemptRun(entry, of: scripts, event: event, eventJSON: eventJSON, phase: phase, host: host, inline: false)
            }
        } else {
            result = await attemptRun(entry, of: scripts, event: event, eventJSON: eventJSON, phase: phase, host: host, inline: false)
        }
        result.logs = host.logs
        result.writes = host.writes
        let elapsed = ContinuousClock.now - started
        result.durationMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return result
    }

    /// One run of the handler from its start: every Lua step `inline` or on the Lua threads (a
    /// step that finishes the run also ends it there, so a handler that calls no `crm` function
    /// costs one trip).
    private func attemptRun(
        _ entry: ScriptEntry, of scripts: TenantScripts, event: String, eventJSON: String, phase: ScriptLimits.Phase,
        host: HostCalls, inline: Bool
    ) async -> RunResult {
        let tenant = scripts.states.tenant
        var result = RunResult(outcome: .error)
        do {
            let runtime = try await scripts.states.checkout()
            @Sendable func finishing(_ step: LuaStep) -> (LuaStep, Int64) {
                let instructions = runtime.instructions
                if case .done = step { runtime.finish() }
                return (step, instructions)
            }
            let configJSON = entry.config.serialized()
            var (current, instructions) = await sandbox.run(tenant, inline: inline) {
                finishing(runtime.start(name: entry.name, event: event, eventJSON: eventJSON, configJSON: configJSON, limits: phase))
            }
            while case .hostCall(let request) = current {
                let (reply, isError) = await host.handle(request)
                (current, instructions) = await sandbox.run(tenant, inline: inline) {
                    finishing(runtime.resume(reply: reply, isError: isError))
                }
            }
            if case .error = current {
                scripts.states.checkin(afterFailure: runtime)
            } else {
                scripts.states.checkin(runtime)
            }
            result.instructions = instructions
            switch current {
            case .done(let output):
                // Lua strings may hold what JSON text cannot carry into the store (a NUL).
                guard let json = JSONValue.parse(output) else {
                    result.failure = ScriptFailure(message: "\(entry.name): the handler's record holds text that cannot be stored (NUL or invalid UTF-8)")
                    break
                }
                result.record = json["record"]
                result.rejections = (json["rejections"]?.arrayValue ?? []).map {
                    FieldError(field: $0["field"]?.stringValue ?? "", code: "rejected", message: $0["message"]?.stringValue ?? "")
                }
                result.outcome = result.rejections.isEmpty ? .ok : .rejected
            case .error(let message):
                result.failure = ScriptFailure(message: message)
            case .hostCall:
                break
            }
        } catch {
            result.failure = ScriptFailure(message: "\(entry.name): \(error)")
        }
        return result
    }
}
