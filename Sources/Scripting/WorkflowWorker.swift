import Foundation
import Kernel
import Logging
import PostgresNIO
import ServiceLifecycle

/// Runs queued after-handlers once their change has committed: claims due jobs of any tenant
/// with `FOR UPDATE SKIP LOCKED` (several server processes share the queue), runs each as its
/// tenant, retries failures after 1, 2, 4, 8 s, and marks a job `failed` after 5 attempts —
/// at once when it exceeds the chain depth.
struct WorkflowWorker: Service {
    static let maxAttempts = 5
    static let batch = 8

    let database: Database
    let dispatcher: ScriptDispatcher
    let readiness: Readiness

    var logger: Logger { database.logger }

    struct Job {
        let org: UUID
        let id: UUID
        let script: String
        let event: String
        let payload: String
        let depth: Int
        let attempts: Int
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled, !(await readiness.waitUntilMigrated(timeout: .seconds(60))) {}
            while !Task.isCancelled {
                do {
                    await dispatcher.store.flushRuns()
                    let jobs = try await claim()
                    for job in jobs { await execute(job) }
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

    /// Due jobs, and jobs left `running` by a process that died (after 5 minutes).
    func claim() async throws -> [Job] {
        try await database.withScope(TenantScope(worker: true)) { connection in
            let rows = try await connection.query(
                """
                UPDATE workflow_jobs j SET status = 'running', attempts = j.attempts + 1, updated_at = clock_timestamp()
                FROM (SELECT org_id, id FROM workflow_jobs
                      WHERE (status = 'pending' AND next_attempt_at <= clock_timestamp())
                         OR (status = 'running' AND updated_at < clock_timestamp() - interval '5 minutes')
                      ORDER BY next_attempt_at LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED) due
                WHERE j.org_id = due.org_id AND j.id = due.id
                RETURNING j.org_id, j.id, j.script, j.event, j.payload::text, j.depth, j.attempts
                """, logger: logger)
            var jobs: [Job] = []
            for try await (org, id, script, event, payload, depth, attempts) in rows.decode((UUID, UUID, String, String, String, Int, Int).self) {
                jobs.append(Job(org: org, id: id, script: script, event: event, payload: payload, depth: depth, attempts: attempts))
            }
            return jobs
        }
    }

    func execute(_ job: Job) async {
        guard job.depth <= ScriptDispatcher.maxDepth else {
            await finish(job, failed: "chain depth limit of \(ScriptDispatcher.maxDepth) exceeded (a workflow's writes keep triggering workflows)", retry: false)
            return
        }
        do {
            let scripts = try await dispatcher.engine.scripts(for: job.org)
            guard let entry = scripts.entries.first(where: { $0.name == job.script }) else {
                await finish(job, failed: "script \(job.script) no longer exists or is disabled", retry: false)
                return
            }
            let host = HostCalls(
                store: dispatcher.records, principal: ScriptEvents.scriptPrincipal(job.script, organizationID: job.org),
                maxWrites: dispatcher.limits.after.writes, simulate: false, depth: job.depth)
            let result = await dispatcher.engine.run(
                entry, of: scripts, event: job.event, eventJSON: job.payload, phase: dispatcher.limits.after, host: host)
            let recordID = JSONValue.parse(job.payload)?["record"]?["id"]
            await dispatcher.store.recordRun(job.org, script: job.script, event: job.event, recordID: recordID, result: result)
            if result.outcome == .error {
                let error = ScriptDispatcher.scriptError(job.script, event: job.event, result.failure).detail
                await finish(job, failed: error, retry: true)
            } else {
                await finish(job, failed: nil, retry: false)
            }
        } catch {
            await finish(job, failed: "could not run: \(PostgresErrorText.describe(error))", retry: true)
        }
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
                    WHERE org_id = \(job.org) AND id = \(job.id)
                    """, logger: logger)
            }
        } catch {
            logger.warning("could not finish workflow job", metadata: ["job": "\(job.id)"])
        }
    }
}
