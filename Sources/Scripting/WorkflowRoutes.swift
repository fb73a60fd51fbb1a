import Foundation
import Hummingbird
import Kernel

/// `/workflow-jobs`: the tenant's queued, running, finished and failed after-handler runs.
struct WorkflowRoutes {
    let services: KernelServices

    static func jobJSON(_ table: String = "") -> String {
        """
        json_build_object('id', id, 'script', script, 'event', event, 'recordId', record_id, 'status', status,
            'attempts', attempts, 'lastError', last_error,
            'nextAttemptAt', \(SQLTime.utc("next_attempt_at")),
            'createdAt', \(SQLTime.utc("created_at")),
            'updatedAt', \(SQLTime.utc("updated_at")))::text
        """
    }

    func register(on routes: APIRoutes) {
        routes.get("/workflow-jobs", requires: ScriptRoutes.read, doc: ScriptingDocs.listWorkflowJobs) { request, _, principal in
            let status = request.uri.queryParameters.get("status")
            if let status, !["pending", "running", "done", "failed"].contains(status) {
                throw APIError.badRequest("status must be pending, running, done or failed")
            }
            let limit = try RecordResponse.limit(request)
            let body = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    PostgresQueryText.jobs(org: principal.organizationID, status: status, limit: limit), logger: services.logger)
                var items: [String] = []
                for try await item in rows.decode(String.self) { items.append(item) }
                return RecordResponse.dataList(items, nextCursor: .some(nil))
            }
            return RecordResponse.raw(.ok, body)
        }
        routes.post("/workflow-jobs/:id/retry", requires: ScriptRoutes.manage, doc: ScriptingDocs.retryWorkflowJob) { _, context, principal in
            let id = try context.uuidParameter("id")
            let body = try await services.database.withScope(principal.scope) { connection -> String? in
                let rows = try await connection.query(
                    """
                    UPDATE workflow_jobs SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
                    WHERE org_id = \(principal.organizationID) AND id = \(id) AND status = 'failed'
                    RETURNING \(unescaped: Self.jobJSON())
                    """, logger: services.logger)
                for try await job in rows.decode(String.self) { return job }
                return nil
            }
            guard let body else { throw APIError.notFound("no failed workflow job \(id.text)") }
            return RecordResponse.raw(.accepted, body)
        }
    }
}

import PostgresNIO

enum PostgresQueryText {
    static func jobs(org: UUID, status: String?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: WorkflowRoutes.jobJSON()) FROM workflow_jobs
        WHERE org_id = \(org) AND (\(status)::text IS NULL OR status = \(status))
        ORDER BY created_at DESC, id DESC LIMIT \(limit)
        """
    }
}
