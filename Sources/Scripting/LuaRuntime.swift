import Foundation
import Kernel
import LuaShim

/// What a script run came to at each step.
enum LuaStep: Equatable {
    /// Finished: `{"record": …, "rejections": […]}`.
    case done(String)
    /// The script called `crm.<fn>`: `{"fn": …, "args": […]}`; answer with `resume`.
    case hostCall(String)
    case error(String)
}

/// One Lua state holding a tenant's scripts (LuaShim's runtime). Not thread-safe: a runtime
/// is checked out of its tenant's pool by one run at a time. Made by `LuaSandbox` only.
final class LuaRuntime: @unchecked Sendable {
    // @unchecked: used by one run at a time (the pool hands it out exclusively).
    private let runtime: OpaquePointer
    private var closed = false

    init(memoryLimit: Int) throws {
        guard let runtime = crm_runtime_new(memoryLimit) else {
            throw ScriptFailure(message: "could not create a Lua state within \(memoryLimit) bytes")
        }
        self.runtime = runtime
    }

    /// Frees the state now (on a Lua thread, by its pool); no Lua code runs while it closes,
    /// since the sandbox refuses finalizers.
    func close() {
        guard !closed else { return }
        closed = true
        crm_runtime_free(runtime)
    }

    deinit { close() }

    static func abortAll() { crm_abort_all_runs() }

    var memoryUsed: Int { crm_runtime_memory(runtime) }
    var instructions: Int64 { crm_run_instructions(runtime) }

    private var output: String {
        var length = 0
        guard let pointer = crm_output(runtime, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private func step(_ status: Int32) -> LuaStep {
        switch status {
        case 0: return .done(output)
        case 1: return .hostCall(output)
        default: return .error(output)
        }
    }

    /// Loads a script; its description (triggers, config schema, …) on success.
    func load(name: String, source: String, limits: ScriptLimits.Phase) -> LuaStep {
        let status = source.withCString { code in
            crm_script_load(runtime, name, code, source.utf8.count, limits.instructions, limits.milliseconds)
        }
        return step(status)
    }

    func start(name: String, event: String, eventJSON: String, configJSON: String, limits: ScriptLimits.Phase) -> LuaStep {
        let status = eventJSON.withCString { eventPointer in
            configJSON.withCString { configPointer in
                crm_run_start(
                    runtime, name, event, eventPointer, eventJSON.utf8.count, configPointer, configJSON.utf8.count,
                    limits.instructions, limits.milliseconds, limits.allocationBytes)
            }
        }
        return step(status)
    }

    func resume(reply: String, isError: Bool) -> LuaStep {
        let status = reply.withCString { crm_run_resume(runtime, $0, reply.utf8.count, isError ? 1 : 0) }
        return step(status)
    }

    func finish() { crm_run_finish(runtime) }
}

/// A script that cannot run, with the line when Lua named one (`name:12: message`).
public struct ScriptFailure: Error, Sendable, Equatable {
    public let message: String

    public var line: Int? {
        guard let match = message.firstMatch(of: /^[^:]*:(\d+):/) else { return nil }
        return Int(match.1)
    }
}
