import Foundation
import Kernel

/// LUA.md's limits per invocation; each configurable by the environment
/// (`LUA_BEFORE_INSTRUCTIONS`, `LUA_AFTER_INSTRUCTIONS`, `LUA_BEFORE_TIME_MS`, `LUA_AFTER_TIME_MS`,
/// `LUA_MEMORY_BYTES`, `LUA_AFTER_WRITES`; `WORKFLOW_RETRY_BASE_MS` for the retry backoff,
/// `WORKFLOW_MAX_PENDING_JOBS` for the queue quota).
public struct ScriptLimits: Sendable {
    public struct Phase: Sendable {
        public var instructions: Int64
        public var milliseconds: Double
        public var writes: Int
        /// Bytes a run may allocate in all (0: only the state's memory cap applies); set for
        /// first attempts (`LuaSandbox.firstAttempt`), whose C calls it bounds.
        public var allocationBytes = 0
    }

    public var before = Phase(instructions: 1_000_000, milliseconds: 250, writes: 0)
    public var after = Phase(instructions: 10_000_000, milliseconds: 5000, writes: 100)
    public var memoryBytes = 16 << 20
    /// First retry delay of a failed workflow job; then doubled (1, 2, 4, 8 s by default).
    public var retryBaseMilliseconds: Double = 1000
    /// Workflow jobs one tenant may have queued or running (`WORKFLOW_MAX_PENDING_JOBS`); a
    /// write that would queue more stores its job as failed, `quota exceeded`.
    public var maxPendingJobs = 10_000

    public init() {}

    public init(environment: [String: String]) throws {
        let reader = EnvironmentReader(environment)
        func number(_ name: String, _ fallback: Int64, _ range: ClosedRange<Int64>) throws -> Int64 {
            try reader.integer(name, default: fallback, range: range)
        }
        before.instructions = try number("LUA_BEFORE_INSTRUCTIONS", before.instructions, 1000...1_000_000_000)
        after.instructions = try number("LUA_AFTER_INSTRUCTIONS", after.instructions, 1000...10_000_000_000)
        before.milliseconds = Double(try number("LUA_BEFORE_TIME_MS", Int64(before.milliseconds), 1...60_000))
        after.milliseconds = Double(try number("LUA_AFTER_TIME_MS", Int64(after.milliseconds), 1...600_000))
        after.writes = Int(try number("LUA_AFTER_WRITES", Int64(after.writes), 0...10_000))
        memoryBytes = Int(try number("LUA_MEMORY_BYTES", Int64(memoryBytes), 1 << 20...1 << 30))
        retryBaseMilliseconds = Double(try number("WORKFLOW_RETRY_BASE_MS", Int64(retryBaseMilliseconds), 1...600_000))
        maxPendingJobs = Int(try number("WORKFLOW_MAX_PENDING_JOBS", Int64(maxPendingJobs), 1...10_000_000))
    }
}
