import Foundation
import Kernel
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Runs queued after-handlers once their change has committed: claims due jobs with
/// `FOR UPDATE SKIP LOCKED` (several server processes share the queue), runs each as its
/// tenant in one transaction with its writes (`execute`), retries failures after 1, 2, 4, 8 s,
/// and marks a job `failed` after 5 attempts — at once when it exceeds the chain depth.
///
/// Tenants take turns (LUA.md, Fairness): a claim takes at most one job per tenant, from the
/// tenants after the ones served last (in id order, wrapping around), and runs them side by
/// side; so a tenant's backlog of thousands delays another tenant's job by one round at most.
struct WorkflowWorker: Service {
    static let maxAttempts = 5
    /// Tenants served per round.
    static let batch = 4
    /// A claimed job locks its row within moments; one still unlocked this long after its claim
    /// lost its worker.
    static let reclaimAfterSeconds = 5

    let database: Database
    let dispatcher: ScriptDispatcher
    let readiness: Readiness
    private let rotation = Rotation()

    init(database: Database, dispatcher: ScriptDispatcher, readiness: Readiness) {
        self.database = database
        self.dispatcher = dispatcher
        self.readiness = readiness
    }

    var logger: Logger { database.logger }

    struct Job: Sendable {
        let org: UUID
        let id: UUID
        let script: String
        let event: String
        let payload: String
        let depth: Int
        let attempts: Int
    }

    /// Where the last round ended, in tenant id order.
    final class Rotation: Sendable {
        private let last = Mutex<UUID?>(nil)

        var cursor: UUID? { last.withLock { $0 } }

        /// The round served `tenants`: the next starts after the last of them in turn order.
        func served(_ tenants: [UUID]) {
            last.withLock { last in
                let cursor = last
                let after = tenants.filter { cursor == nil || $0 > cursor! }.sorted()
                let wrapped = tenants.filter { cursor != nil && $0 <= cursor! }.sorted()
                if let end = (wrapped.isEmpty ? after : wrapped).last { last = end }
            }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled, !(await readiness.waitUntilMigrated(timeout: .seconds(60))) {}
            while !Task.isCancelled {
                do {
                    await dispatcher.store.flushRuns()
                    let jobs = try await claim()
                    await withTaskGroup(of: Void.self) { group in
                        for job in jobs { group.addTask { await execute(job) } }
                    }
                    if jobs.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("workflow worker", metadata: ["error": "\(PostgresErrorText.describe(error))"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        await dispatcher.store.flushRuns()
    }

    /// One due job of each of up to `batch` tenants, in turn order. A job `running` for more
    /// than `reclaimAfter` whose row is not locked — its worker's unit of work is gone, with the
    /// process that ran it — is due again (`SKIP LOCKED` passes over the live ones).
    func claim() async throws -> [Job] {
        let due = """
            ((w.status = 'pending' AND w.next_attempt_at <= clock_timestamp())
              OR (w.status = 'running' AND w.updated_at < clock_timestamp() - interval '\(Self.reclaimAfterSeconds) seconds'))
            """
        let jobs = try await database.withScope(TenantScope(worker: true)) { connection in
            let rows = try await connection.query(
                """
                UPDATE workflow_jobs j SET status = 'running', attempts = j.attempts + 1, updated_at = clock_timestamp()
                FROM (
                    SELECT next.org_id, next.id
                    FROM (SELECT org_id FROM (SELECT DISTINCT w.org_id FROM workflow_jobs w
                                              WHERE w.status IN ('pending', 'running') AND \(unescaped: due)) waiting
                          ORDER BY waiting.org_id <= \(rotation.cursor)::uuid, waiting.org_id) tenants
                    CROSS JOIN LATERAL (
                        SELECT w.org_id, w.id FROM workflow_jobs w
                        WHERE w.org_id = tenants.org_id AND w.status IN ('pending', 'running') AND \(unescaped: due)
                        ORDER BY w.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) next
                    LIMIT \(Self.batch)
                ) claimed
                WHERE j.org_id = claimed.org_id AND j.id = claimed.id
                RETURNING j.org_id, j.id, j.script, j.event, j.payload::text, j.depth, j.attempts
                """, logger: logger)
            var jobs: [Job] = []
            for try await (org, id, script, event, payload, depth, attempts) in rows.decode((UUID, UUID, String, String, String, Int, Int).self) {
                jobs.append(Job(org: org, id: id, script: script, event: event, payload: payload, depth: depth, attempts: attempts))
            }
            return jobs
        }
        rotation.served(jobs.map(\.org))
        return jobs
    }

    /// A run that ended in an error: its writes are rolled back with it.
    struct RunFailed: Error {
        let result: RunResult
    }

    /// Runs the job as one unit of work (`Database.unitOfWork`): every write of the script and
    /// the job's `done` commit together, or — a failed run, a crash — none of them does, and the
    /// job runs again from scratch. The job's row stays locked meanwhile, which tells the other
    /// workers it is alive; a job whose worker died is unlocked and taken back (`claim`).
    func execute(_ job: Job) async {
        guard job.depth <= ScriptDispatcher.maxDepth else {
            await finish(job, failed: "chain depth limit of \(ScriptDispatcher.maxDepth) exceeded (a workflow's writes keep triggering workflows)", retry: false)
            return
        }
        let principal = ScriptEvents.scriptPrincipal(job.script, organizationID: job.org)
        let recordID = JSONValue.parse(job.payload)?["record"]?["id"]
        do {
            let scripts = try await dispatcher.engine.scripts(for: job.org)
            guard let entry = scripts.entries.first(where: { $0.name == job.script }) else {
                await finish(job, failed: "script \(job.script) no longer exists or is disabled", retry: false)
                return
            }
            let result = try await database.unitOfWork(principal.scope) { connection -> RunResult? in
                guard try await holdClaim(job, on: connection) else { return nil }
                let host = HostCalls(
                    store: dispatcher.records, principal: principal, maxWrites: dispatcher.limits.after.writes, simulate: false,
                    depth: job.depth)
                let result = await dispatcher.engine.run(
                    entry, of: scripts, event: job.event, eventJSON: job.payload, phase: dispatcher.limits.after, host: host)
                if result.outcome == .error { throw RunFailed(result: result) }
                try await connection.query(
                    """
                    UPDATE workflow_jobs SET status = 'done', last_error = NULL, updated_at = clock_timestamp()
                    WHERE org_id = \(job.org) AND id = \(job.id)
                    """, logger: logger)
                return result
            }
            // nil: another worker holds the job now (it was taken back); it reports the run.
            if let result {
                await dispatcher.store.recordRun(job.org, script: job.script, event: job.event, recordID: recordID, result: result)
            }
        } catch let failed as RunFailed {
            await dispatcher.store.recordRun(job.org, script: job.script, event: job.event, recordID: recordID, result: failed.result)
            let error = ScriptDispatcher.scriptError(job.script, event: job.event, failed.result.failure).detail
            await finish(job, failed: error, retry: true)
        } catch {
            await finish(job, failed: "could not run: \(PostgresErrorText.describe(error))", retry: true)
        }
    }

    /// Locks the job's row for the unit of work, if this claim is still the job's current one
    /// (same attempt, still running). A session that stops answering in the middle of a job
    /// (a frozen process) is ended by PostgreSQL after a minute, which frees the job too.
    func holdClaim(_ job: Job, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SET LOCAL idle_in_transaction_session_timeout = '60s'", logger: logger)
        let rows = try await connection.query(
            """
            SELECT 1 FROM workflow_jobs
            WHERE org_id = \(job.org) AND id = \(job.id) AND status = 'running' AND attempts = \(job.attempts)
            FOR UPDATE SKIP LOCKED
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    func finish(_ job: Job, failed error: String?, retry: Bool) async {
        let status: String
        var delay = 0.0
        if error == nil {
            status = "done"
        } else if retry && job.attempts < Self.maxAttempts {
            status = "pending"
            delay = dispatcher.limits.retryBaseMilliseconds / 1000 * pow(2, Double(job.attempts - 1))  // 1, 2, 4, 8 s
        } else {
            status = "failed"
        }
        do {
            try await database.withScope(TenantScope(worker: true)) { connection in
                try await connection.query(
                    """
                    UPDATE workflow_jobs SET status = \(status), last_error = \(error),
                        next_attempt_at = clock_timestamp() + make_interval(secs => \(delay)), updated_at = clock_timestamp()
                    WHERE org_id = \(job.org) AND id = \(job.id) AND status = 'running' AND attempts = \(job.attempts)
                    """, logger: logger)
            }
        } catch {
            logger.warning("could not finish workflow job", metadata: ["job": "\(job.id)"])
        }
    }
}
