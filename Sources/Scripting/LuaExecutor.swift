import Foundation
import LuaShim

/// The threads tenant Lua runs on, so a script at its time limit holds no thread that serves
/// other requests' I/O (LUA.md, Fairness); only a short run's first attempt, capped at about a
/// millisecond (`LuaSandbox.firstAttempt`), runs on its caller's event loop.
///
/// Work is queued per tenant and the threads serve the tenants with work in turn, one piece
/// each: a tenant with a hundred queued runs delays another tenant's run by at most one run
/// per thread, not by its backlog. The threads run at a lower CPU priority than the event
/// loops, so when the machine is busy, requests that run no Lua go first.
final class LuaExecutor: @unchecked Sendable {
    // @unchecked: `queues` and `turn` are only touched with `condition` locked.
    typealias Job = @Sendable () -> Void

    private let condition = NSCondition()
    private var queues: [UUID: [Job]] = [:]
    /// Tenants with queued work, in the order they are served.
    private var turn: [UUID] = []

    /// Linux niceness of the Lua threads: the scheduler gives a niceness-0 event loop about
    /// ten times their share of a contended core.
    static let niceness: Int32 = 10

    init(threads: Int) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [unowned self] in
                // Named for top and perf (Foundation's `name` does not reach the OS thread here).
                _ = crm_thread_setup("lua-\(index)", Self.niceness)
                self.serve()
            }
            // Lua's own C recursion (pcall, metamethods, pattern captures) is capped at 200
            // levels; this leaves it ample room.
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    /// Runs `body` on a Lua thread in `tenant`'s turn and returns its result.
    func run<T: Sendable>(_ tenant: UUID, _ body: @escaping @Sendable () -> T) async -> T {
        await withUnsafeContinuation { continuation in
            submit(tenant) { continuation.resume(returning: body()) }
        }
    }

    func submit(_ tenant: UUID, _ job: @escaping Job) {
        condition.lock()
        if queues[tenant, default: []].isEmpty { turn.append(tenant) }
        queues[tenant, default: []].append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while turn.isEmpty { condition.wait() }
            let tenant = turn.removeFirst()
            var queue = queues.removeValue(forKey: tenant) ?? []
            let job = queue.removeFirst()
            if !queue.isEmpty {
                queues[tenant] = queue
                turn.append(tenant)
            }
            condition.unlock()
            job()
        }
    }
}
