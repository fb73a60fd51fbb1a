import Foundation
import Kernel
import Synchronization

/// The one place tenant Lua is created, run and closed: script handlers, a script's top-level
/// chunk on `PUT`, and custom-field validations and formulas all get their states from here
/// and run them on its `LuaExecutor`, under `limits`.
///
/// What holds a tenant inside its limits (LUA.md, Limits):
/// - every Lua call of a state is armed with the phase's instruction, time and memory budget
///   (LuaShim: the count hook on every thread, the allocator's cap, C loops paid up front,
///   pattern searches charged as they go), and nothing runs Lua outside a budget (no `__gc`);
/// - a state belongs to one tenant (`StatePool`), so no table or metatable is shared with
///   another tenant's Lua;
/// - a tenant has at most `statesPerTenant` states alive, and all Lua runs on the executor's
///   threads in tenants' turns, never on an event loop.
public final class LuaSandbox: Sendable {
    public let limits: ScriptLimits
    let executor: LuaExecutor

    /// States one tenant may have alive at once, per kind (scripts, expressions); more runs
    /// wait for one. Bounds a tenant's memory at this × `limits.memoryBytes`.
    static let statesPerTenant = 8
    /// Tenants whose states are kept; beyond this, those cached longest ago are closed (and
    /// made again on their next run).
    static let tenantsKept = 256

    public init(limits: ScriptLimits = ScriptLimits(), threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.limits = limits
        self.executor = LuaExecutor(threads: threads)
    }

    /// Runs `body` on a Lua thread, in `tenant`'s turn — or, `inline`, on the caller's thread
    /// (a first attempt, see `firstAttempt`).
    func run<T: Sendable>(_ tenant: UUID, inline: Bool = false, _ body: @escaping @Sendable () -> T) async -> T {
        inline ? body() : await executor.run(tenant, body)
    }

    /// The budget of a short run's first attempt, made on the caller's thread (an event loop):
    /// most before-handlers and expressions finish in a few hundred instructions, and a trip to
    /// the Lua threads and back costs more than they do. A run that overruns this budget is
    /// ended and run again from the start on the Lua threads under its full limits — so an
    /// event loop lends a script at most about a millisecond. The allocation cap bounds the C
    /// calls the hook cannot interrupt (one `string.rep` of 8 MB is some 20 ms). Only runs
    /// that cannot write take a first attempt (running a before-handler or an expression twice
    /// changes nothing but its own script's tables); `nil` when `phase` is no larger.
    static func firstAttempt(within phase: ScriptLimits.Phase) -> ScriptLimits.Phase? {
        var attempt = ScriptLimits.Phase(instructions: 20_000, milliseconds: 1, writes: 0)
        attempt.allocationBytes = 1 << 20
        guard phase.writes == 0, phase.instructions > attempt.instructions, phase.milliseconds > attempt.milliseconds else {
            return nil
        }
        return attempt
    }

    /// Whether a first attempt ended on its budget (and is to be run again in full).
    static func overran(_ message: String?) -> Bool {
        guard let message else { return false }
        return ["instruction limit exceeded", "time limit exceeded", "allocation limit exceeded"].contains { message.hasSuffix($0) }
    }

    /// A new state under the memory cap (call on a Lua thread).
    func newState() throws -> LuaRuntime {
        try LuaRuntime(memoryLimit: limits.memoryBytes)
    }

    /// Loads `source` in a scratch state of `tenant` (its top-level chunk runs under the
    /// before-handler limits), closes the state, and answers the script's description.
    func describe(_ tenant: UUID, name: String, source: String) async throws -> JSONValue {
        let step = await run(tenant) { [self] () -> Result<LuaStep, any Error> in
            Result { try Self.load(name: name, source: source, in: try newState(), limits: limits) }
        }
        return try Self.description(name, try step.get())
    }

    /// The same for code the operator ships (bundled Lua plugins), at start-up.
    static func describeBundled(name: String, source: String, limits: ScriptLimits) throws -> JSONValue {
        try description(name, try load(name: name, source: source, in: try LuaRuntime(memoryLimit: limits.memoryBytes), limits: limits))
    }

    private static func load(name: String, source: String, in runtime: LuaRuntime, limits: ScriptLimits) throws -> LuaStep {
        defer { runtime.close() }
        return runtime.load(name: name, source: source, limits: limits.before)
    }

    private static func description(_ name: String, _ step: LuaStep) throws -> JSONValue {
        switch step {
        case .done(let description):
            if let parsed = JSONValue.parse(description) { return parsed }
            // PostgreSQL cannot store a NUL made at run time ("\0" in Lua) in a description
            // or an event name.
            if let path = JSONValue.forbiddenTextPath(in: description) {
                throw ScriptFailure(message: "\(name): the script's table holds text with NUL (U+0000) at \(path)")
            }
            return .object([:])
        case .error(let message): throw ScriptFailure(message: message)
        case .hostCall: throw ScriptFailure(message: "\(name): crm functions cannot be called while the script loads")
        }
    }

    /// Ends every run of every tenant at its next check, for shutdown.
    public static func abortAllRuns() { LuaRuntime.abortAll() }
}

/// One tenant's Lua states of one kind (a script set, or expressions): at most
/// `LuaSandbox.statesPerTenant` alive, a few kept idle; each run checks one out, so no two
/// runs share a state. States are made and closed on the tenant's turn of the Lua threads.
final class StatePool<State: LuaState>: Sendable {
    let tenant: UUID
    let sandbox: LuaSandbox
    let idleKept: Int
    private let make: @Sendable () throws -> State

    private struct Inner {
        var idle: [State] = []
        var alive = 0
        var waiters: [UnsafeContinuation<Void, Never>] = []
        var retired = false
    }
    private let inner = Mutex(Inner())

    init(tenant: UUID, sandbox: LuaSandbox, idleKept: Int, make: @escaping @Sendable () throws -> State) {
        self.tenant = tenant
        self.sandbox = sandbox
        self.idleKept = idleKept
        self.make = make
    }

    private enum Lease { case idle(State), make, wait }

    func checkout() async throws -> State {
        while true {
            let lease = inner.withLock { inner -> Lease in
                if let state = inner.idle.popLast() { return .idle(state) }
                if inner.alive < LuaSandbox.statesPerTenant {
                    inner.alive += 1
                    return .make
                }
                return .wait
            }
            switch lease {
            case .idle(let state):
                return state
            case .make:
                let make = self.make
                let made = await sandbox.run(tenant) { Result { try make() } }
                do {
                    return try made.get()
                } catch {
                    release(nil)
                    throw error
                }
            case .wait:
                await withUnsafeContinuation { continuation in
                    let resumeNow = inner.withLock { inner -> Bool in
                        // A state may have come back between the check and now.
                        if !inner.idle.isEmpty || inner.alive < LuaSandbox.statesPerTenant { return true }
                        inner.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Returns a state after its run (its run already finished on the Lua thread).
    func checkin(_ state: State) {
        let keep = inner.withLock { inner -> Bool in
            !inner.retired && inner.idle.count < idleKept
        }
        if keep {
            let waiter = inner.withLock { inner -> UnsafeContinuation<Void, Never>? in
                inner.idle.append(state)
                return inner.waiters.isEmpty ? nil : inner.waiters.removeFirst()
            }
            waiter?.resume()
        } else {
            release(state)
        }
    }

    /// Returns a state whose run failed: the run is ended on the Lua threads first (a run
    /// stopped at its memory limit leaves a heap to collect), so its caller's answer need not
    /// wait for that.
    func checkin(afterFailure state: State) {
        sandbox.executor.submit(tenant) {
            state.finish()
            self.checkin(state)
        }
    }

    /// Closes a state that should not be reused; its place goes to a waiting run.
    func discard(_ state: State) { release(state) }

    /// Closes `state` (if any) and frees its place for a waiting run.
    private func release(_ state: State?) {
        if let state { sandbox.executor.submit(tenant) { state.close() } }
        let waiter = inner.withLock { inner -> UnsafeContinuation<Void, Never>? in
            inner.alive -= 1
            return inner.waiters.isEmpty ? nil : inner.waiters.removeFirst()
        }
        waiter?.resume()
    }

    /// The pool is out of date (the tenant's scripts changed) or evicted: idle states close
    /// now, states in use when their run ends.
    func retire() {
        let idle = inner.withLock { inner -> [State] in
            inner.retired = true
            defer { inner.idle.removeAll() }
            return inner.idle
        }
        for state in idle { release(state) }
    }
}

/// What a `StatePool` holds: something owning one Lua state.
protocol LuaState: AnyObject, Sendable {
    /// Ends the state's current run.
    func finish()
    func close()
}

extension LuaRuntime: LuaState {}

/// Per-tenant values (state pools and what they serve), at most `capacity` tenants, the one
/// cached longest ago evicted first; an evicted or removed value is retired, so its states close.
final class TenantCache<Value: Sendable>: Sendable {
    private let entries = Mutex<(values: [UUID: Value], order: [UUID])>(([:], []))
    private let capacity: Int
    private let retire: @Sendable (Value) -> Void

    init(capacity: Int = LuaSandbox.tenantsKept, retire: @escaping @Sendable (Value) -> Void) {
        self.capacity = capacity
        self.retire = retire
    }

    func get(_ tenant: UUID) -> Value? {
        entries.withLock { $0.values[tenant] }
    }

    /// The cached value, else `value` stored (and the least recently stored tenant evicted
    /// when over capacity). A lost race answers the value that won.
    func getOrInsert(_ tenant: UUID, _ value: Value) -> Value {
        let (result, evicted) = entries.withLock { entries -> (Value, Value?) in
            if let existing = entries.values[tenant] { return (existing, nil) }
            entries.values[tenant] = value
            entries.order.append(tenant)
            guard entries.order.count > capacity else { return (value, nil) }
            let oldest = entries.order.removeFirst()
            return (value, entries.values.removeValue(forKey: oldest))
        }
        if let evicted { retire(evicted) }
        return result
    }

    func remove(_ tenant: UUID?) {
        let removed = entries.withLock { entries -> [Value] in
            if let tenant {
                entries.order.removeAll { $0 == tenant }
                return entries.values.removeValue(forKey: tenant).map { [$0] } ?? []
            }
            defer { entries = ([:], []) }
            return Array(entries.values.values)
        }
        for value in removed { retire(value) }
    }
}
