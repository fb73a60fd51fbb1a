import Foundation
import Kernel
import Logging
import NIOPosix
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

/// A tenant's loaded scripts with a small pool of Lua states that have them all loaded;
/// a run checks one out, so states are never shared by two runs.
final class TenantScripts: Sendable {
    let entries: [ScriptEntry]
    private let pool = Mutex<[LuaRuntime]>([])
    /// Idle states kept per tenant: enough for the concurrency of a busy tenant, so runs do
    /// not pay for loading the scripts again (a state with a few scripts is ~100 KiB).
    static let poolSize = 32

    init(entries: [ScriptEntry]) { self.entries = entries }

    func handlers(for event: String) -> [ScriptEntry] {
        entries.filter { $0.triggers.contains(event) }
    }

    func checkout(limits: ScriptLimits, logger: Logger) throws -> LuaRuntime {
        if let runtime = pool.withLock({ $0.popLast() }) { return runtime }
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        for entry in entries {
            if case .error(let message) = runtime.load(name: entry.name, source: entry.source, limits: limits.before) {
                logger.warning("script does not load", metadata: ["script": "\(entry.name)", "error": "\(message)"])
            }
        }
        return runtime
    }

    func checkin(_ runtime: LuaRuntime) {
        runtime.finish()
        pool.withLock { if $0.count < Self.poolSize { $0.append(runtime) } }
    }
}

/// Runs tenants' scripts: caches each tenant's script set (dropped when the tenant's scripts or
/// plugin settings change, in any process), and drives a run — Lua steps on the thread pool,
/// `crm.*` calls answered by `HostCalls` between them.
public final class ScriptEngine: Sendable {
    let limits: ScriptLimits
    let logger: Logger
    let loadEntries: @Sendable (UUID) async throws -> [ScriptEntry]
    private let cache = Mutex<[UUID: TenantScripts]>([:])

    init(limits: ScriptLimits, logger: Logger, loadEntries: @escaping @Sendable (UUID) async throws -> [ScriptEntry]) {
        self.limits = limits
        self.logger = logger
        self.loadEntries = loadEntries
    }

    func scripts(for organizationID: UUID) async throws -> TenantScripts {
        if let cached = cache.withLock({ $0[organizationID] }) { return cached }
        let scripts = TenantScripts(entries: try await loadEntries(organizationID))
        cache.withLock { $0[organizationID] = scripts }
        return scripts
    }

    public func invalidate(_ organizationID: UUID?) {
        cache.withLock { cache in
            if let organizationID { cache.removeValue(forKey: organizationID) } else { cache.removeAll() }
        }
    }

    /// Compiles and loads `source` in a scratch state: its description, or why it cannot run.
    func check(name: String, source: String) async throws -> JSONValue {
        let limits = self.limits
        let step = try await NIOThreadPool.singleton.runIfActive {
            let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
            return runtime.load(name: name, source: source, limits: limits.before)
        }
        switch step {
        case .done(let description): return JSONValue.parse(description) ?? .object([:])
        case .error(let message): throw ScriptFailure(message: message)
        case .hostCall: throw ScriptFailure(message: "\(name): crm functions cannot be called while the script loads")
        }
    }

    /// Runs `entry`'s handler for `event` on a state of `scripts`. Lua steps of after-handlers
    /// (up to 5 s) run on the thread pool; before-handlers (250 ms) run inline, which their
    /// budget bounds, sparing two thread hops per step on every write.
    func run(
        _ entry: ScriptEntry, of scripts: TenantScripts, event: String, eventJSON: String, phase: ScriptLimits.Phase,
        host: HostCalls
    ) async -> RunResult {
        let inline = phase.milliseconds <= limits.before.milliseconds
        @Sendable func step(_ body: @escaping @Sendable () -> LuaStep) async throws -> LuaStep {
            inline ? body() : try await NIOThreadPool.singleton.runIfActive(body)
        }
        let started = ContinuousClock.now
        var result = RunResult(outcome: .error)
        let limits = self.limits
        do {
            let runtime = try scripts.checkout(limits: limits, logger: logger)
            defer { scripts.checkin(runtime) }
            let configJSON = entry.config.serialized()
            var current = try await step {
                runtime.start(name: entry.name, event: event, eventJSON: eventJSON, configJSON: configJSON, limits: phase)
            }
            while case .hostCall(let request) = current {
                let (reply, isError) = await host.handle(request)
                current = try await step { runtime.resume(reply: reply, isError: isError) }
            }
            result.instructions = runtime.instructions
            switch current {
            case .done(let output):
                let json = JSONValue.parse(output)
                result.record = json?["record"]
                result.rejections = (json?["rejections"]?.arrayValue ?? []).map {
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
        result.logs = host.logs
        result.writes = host.writes
        let elapsed = ContinuousClock.now - started
        result.durationMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return result
    }
}
