import Foundation
import Hummingbird
import Kernel
import PostgresNIO

/// `POST /deals/{id}/move {stageId}` (honours If-Match; the stage may be in another pipeline)
/// and `GET /deals/{id}/stage-history` (time spent in each stage).
struct DealMoveRoute {
    let services: KernelServices

    func register(on routes: APIRoutes) {
        routes.post("/deals/:id/move", requires: .declared("deals.write"), doc: DealsDocs.moveDeal) { request, context, principal in
            let id = try context.uuidParameter("id")
            struct Body: Decodable { let stageId: String }
            let body = try await JSONBody.decode(Body.self, request, context: context, allowedKeys: ["stageId"])
            guard let stage = UUID(text: body.stageId) else {
                throw APIError.validation([FieldError(field: "stageId", code: "invalid_reference", message: "must be a stage id")])
            }
            // pipelineId null: the rules take the stage's pipeline.
            let stored = try await services.records.update(
                DealSchema.schema, id: id, body: ["stageId": .string(stage.text), "pipelineId": .null], replace: false,
                precondition: try RecordResponse.precondition(request), principal: principal)
            return RecordResponse.record(.ok, stored)
        }
        routes.get("/deals/:id/stage-history", requires: .declared("deals.read"), doc: DealsDocs.getDealStageHistory) { _, context, principal in
            let id = try context.uuidParameter("id")
            _ = try await services.records.get(DealSchema.schema, id: id, principal: principal)
            let body = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    """
                    SELECT json_build_object('stageId', stage_id,
                        'enteredAt', \(unescaped: SQLTime.utc("entered_at")),
                        'leftAt', \(unescaped: SQLTime.utc("left_at")),
                        'seconds', floor(extract(epoch FROM coalesce(left_at, clock_timestamp()) - entered_at)))::text
                    FROM deal_stage_history WHERE org_id = \(principal.organizationID) AND deal_id = \(id) ORDER BY entered_at
                    """, logger: services.logger)
                var items: [String] = []
                for try await item in rows.decode(String.self) { items.append(item) }
                return RecordResponse.dataList(items)
            }
            return RecordResponse.raw(.ok, body)
        }
    }
}
