import Foundation
import Kernel
import Synchronization

/// Evaluates the Lua expressions of custom fields (`validation`, `formula`) with `value` and
/// `record` in scope, under the before-handler limits. An expression becomes a tiny script
/// named by its hash, run like any handler (fresh environment each time, no `crm` calls
/// answered) on a state of the record's tenant: states keep the expressions they have loaded,
/// and each tenant has its own (`LuaSandbox`), so one tenant's expression can neither fill
/// nor tamper with a state another tenant's runs in.
public final class ExpressionEvaluator: Sendable {
    final class Slot: LuaState, @unchecked Sendable {
        // @unchecked: used by one evaluation at a time (checked out of its pool).
        let runtime: LuaRuntime
        var loaded: Set<String> = []
        init(runtime: LuaRuntime) { self.runtime = runtime }
        func finish() { runtime.finish() }
        func close() { runtime.close() }
    }

    let sandbox: LuaSandbox
    /// Expressions a state keeps loaded; a state that has loaded more (a tenant editing its
    /// formulas many times) is closed rather than filled up.
    static let expressionsPerState = 200
    private let pools = TenantCache<StatePool<Slot>> { $0.retire() }
    var limits: ScriptLimits { sandbox.limits }

    public init(sandbox: LuaSandbox) {
        self.sandbox = sandbox
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

    /// Compiles the expression in a scratch state of the tenant; the Lua message when it does not.
    public func check(_ expression: String, organizationID: UUID) async throws {
        guard expression.utf8.count <= 4096 else { throw ExpressionFailure("the expression is longer than 4096 bytes") }
        do {
            _ = try await sandbox.describe(organizationID, name: Self.name(expression), source: Self.source(expression))
        } catch let failure as ScriptFailure {
            throw ExpressionFailure(failure.message)
        }
    }

    private func pool(_ organizationID: UUID) -> StatePool<Slot> {
        if let pool = pools.get(organizationID) { return pool }
        let sandbox = self.sandbox
        return pools.getOrInsert(organizationID, StatePool(tenant: organizationID, sandbox: sandbox, idleKept: 2) {
            Slot(runtime: try sandbox.newState())
        })
    }

    public func evaluate(
        _ expression: String, value: JSONValue, record: Record, organizationID: UUID
    ) async -> Result<JSONValue, ExpressionFailure> {
        let event = JSONValue.object(["value": value, "record": .object(record)]).serialized()
        // First on the caller's thread within a small budget, as a before-handler
        // (LuaSandbox.firstAttempt); an expression that overruns it is evaluated again in full
        // on the Lua threads.
        if let attempt = LuaSandbox.firstAttempt(within: limits.before) {
            let first = await evaluateOnce(expression, event: event, organizationID: organizationID, phase: attempt, inline: true)
            guard case .failure(let failure) = first, LuaSandbox.overran(failure.message) else { return first }
        }
        return await evaluateOnce(expression, event: event, organizationID: organizationID, phase: limits.before, inline: false)
    }

    private func evaluateOnce(
        _ expression: String, event: String, organizationID: UUID, phase: ScriptLimits.Phase, inline: Bool
    ) async -> Result<JSONValue, ExpressionFailure> {
        let name = Self.name(expression)
        let limits = self.limits
        let pool = self.pool(organizationID)
        let slot: Slot
        do {
            slot = try await pool.checkout()
        } catch {
            return .failure(ExpressionFailure("\(error)"))
        }
        let step = await sandbox.run(organizationID, inline: inline) { () -> LuaStep in
            if !slot.loaded.contains(name) {
                if case .error(let message) = slot.runtime.load(name: name, source: Self.source(expression), limits: limits.before) {
                    return .error(message)
                }
                slot.loaded.insert(name)
            }
            var step = slot.runtime.start(name: name, event: "eval", eventJSON: event, configJSON: "{}", limits: phase)
            while case .hostCall = step {
                step = slot.runtime.resume(reply: "crm functions are not available in expressions", isError: true)
            }
            if case .done = step { slot.runtime.finish() }
            return step
        }
        if slot.loaded.count > Self.expressionsPerState {
            pool.discard(slot)
        } else if case .done = step {
            pool.checkin(slot)
        } else {
            pool.checkin(afterFailure: slot)
        }
        switch step {
        case .done(let output): return .success(JSONValue.parse(output)?["record"]?["result"] ?? .null)
        case .error(let message): return .failure(ExpressionFailure(message))
        case .hostCall: return .failure(ExpressionFailure("unexpected host call"))
        }
    }
}
