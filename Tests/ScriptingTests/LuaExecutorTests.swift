import Foundation
import Synchronization
import Testing

@testable import Scripting

/// The Lua threads serve tenants in turn: a tenant's backlog delays another tenant's work by
/// one job per thread, not by the backlog.
@Suite struct LuaExecutorTests {
    @Test func tenantsAreServedInTurn() async throws {
        let executor = LuaExecutor(threads: 1)
        let busy = UUID(), quiet = UUID()
        let order = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        // The one thread is held by the busy tenant while both queue more work.
        executor.submit(busy) {
            started.signal()
            gate.wait()
            order.withLock { $0.append("busy-0") }
        }
        started.wait()
        for index in 1...5 {
            executor.submit(busy) { order.withLock { $0.append("busy-\(index)") } }
        }
        let done = DispatchSemaphore(value: 0)
        executor.submit(quiet) {
            order.withLock { $0.append("quiet") }
            done.signal()
        }
        gate.signal()
        done.wait()
        // busy-0 was running; the queue then alternates: busy-1, quiet.
        let position = order.withLock { $0.firstIndex(of: "quiet") }
        #expect(position == 2, "\(order.withLock { $0 })")
    }

    @Test func runReturnsTheBodysValueFromALuaThread() async {
        let executor = LuaExecutor(threads: 2)
        let name = await executor.run(UUID()) {
            (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        }
        #expect(name.hasPrefix("lua-"), "\(name)")
    }
}
