import Foundation

@testable import Scripting

/// Runs `body` as the handler of `test.beforeSave` once, in `runtime` (a new state when nil)
/// under `limits`: how the runtime tests reach the sandbox without a server.
func runHandler(
    _ body: String, limits: ScriptLimits, runtime: LuaRuntime? = nil, name: String
) throws -> (LuaStep, LuaRuntime) {
    let runtime = try runtime ?? LuaRuntime(memoryLimit: limits.memoryBytes)
    let source = "return { on = { [\"test.beforeSave\"] = function(event, crm)\n\(body)\nend } }"
    if case .error(let message) = runtime.load(name: name, source: source, limits: limits.before) {
        return (.error(message), runtime)
    }
    let step = runtime.start(name: name, event: "test.beforeSave", eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: limits.before)
    runtime.finish()
    return (step, runtime)
}

extension ScriptLimits {
    /// The runtime tests' limits: `memoryBytes` per state, and a time limit generous enough for
    /// slow CI machines, so that the instruction cap is what a runaway handler meets first.
    static func forHandlerTests(memoryBytes: Int) -> ScriptLimits {
        var limits = ScriptLimits()
        limits.memoryBytes = memoryBytes
        limits.before.milliseconds = 2000
        return limits
    }
}
