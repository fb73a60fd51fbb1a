import Foundation
import Kernel
import Synchronization

/// Evaluates the Lua expressions of custom fields (`validation`, `formula`) with `value` and
/// `record` in scope, under the before-handler limits. An expression becomes a tiny script
/// named by its hash; states are pooled and keep the expressions they have loaded. Runs are
/// as isolated as scripts' (fresh environment each time, no `crm` calls answered), so the
/// pool is shared by tenants.
public final class ExpressionEvaluator: Sendable {
    final class Slot: @unchecked Sendable {
        // @unchecked: used by one evaluation at a time (checked out of the pool).
        let runtime: LuaRuntime
        var loaded: Set<String> = []
        init(runtime: LuaRuntime) { self.runtime = runtime }
    }

    let limits: ScriptLimits
    private let pool = Mutex<[Slot]>([])

    public init(limits: ScriptLimits = ScriptLimits()) {
        self.limits = limits
    }

    static func name(_ expression: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in expression.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }  // FNV-1a
        return "expr-\(String(hash, radix: 16))"
    }

    static func source(_ expression: String) -> String {
        """
        return { on = { eval = function(event)
        local value, record = event.value, event.record
        event.record = { result = (
        \(expression)
        ) }
        end } }
        """
    }

    /// Compiles the expression; the Lua message when it does not.
    public func check(_ expression: String) throws -> Void {
        guard expression.utf8.count <= 4096 else { throw ExpressionFailure("the expression is longer than 4096 bytes") }
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        if case .error(let message) = runtime.load(name: Self.name(expression), source: Self.source(expression), limits: limits.before) {
            throw ExpressionFailure(message)
        }
    }

    public func evaluate(_ expression: String, value: JSONValue, record: Record) async -> Result<JSONValue, ExpressionFailure> {
        let name = Self.name(expression)
        let limits = self.limits
        let event = JSONValue.object(["value": value, "record": .object(record)]).serialized()
        do {
            let slot = try pool.withLock { $0.popLast() } ?? Slot(runtime: try LuaRuntime(memoryLimit: limits.memoryBytes))
            defer {
                slot.runtime.finish()
                pool.withLock { if $0.count < 16 { $0.append(slot) } }
            }
            // Inline: an expression is bounded by the before-handler budget (250 ms).
            let step = { () -> LuaStep in
                if !slot.loaded.contains(name) {
                    if case .error(let message) = slot.runtime.load(name: name, source: Self.source(expression), limits: limits.before) {
                        return .error(message)
                    }
                    slot.loaded.insert(name)
                }
                var step = slot.runtime.start(name: name, event: "eval", eventJSON: event, configJSON: "{}", limits: limits.before)
                while case .hostCall = step {
                    step = slot.runtime.resume(reply: "crm functions are not available in expressions", isError: true)
                }
                return step
            }()
            switch step {
            case .done(let output): return .success(JSONValue.parse(output)?["record"]?["result"] ?? .null)
            case .error(let message): return .failure(ExpressionFailure(message))
            case .hostCall: return .failure(ExpressionFailure("unexpected host call"))
            }
        } catch {
            return .failure(ExpressionFailure("\(error)"))
        }
    }
}
