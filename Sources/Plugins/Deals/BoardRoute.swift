import Foundation
import Hummingbird
import Kernel
import PostgresNIO

/// `GET /pipelines/{id}/board`: every stage in order with its deal count, amount sum and
/// newest 20 deals — two queries whatever the number of stages.
struct BoardRoute {
    let services: KernelServices
    let pipelines: Pipelines

    func register(on routes: APIRoutes) {
        routes.get("/pipelines/:id/board", requires: PipelineRoutes.read, doc: DealsDocs.getPipelineBoard) { _, context, principal in
            let id = try context.uuidParameter("id")
            let body = try await services.database.withScope(principal.scope) { connection in
                try await board(principal.organizationID, id, on: connection)
            }
            return RecordResponse.raw(.ok, body)
        }
    }

    func board(_ org: UUID, _ id: UUID, on connection: PostgresConnection) async throws -> String {
        let pipeline = try await pipelines.one(org, id, on: connection)
        let schema = DealSchema.schema
        var totals: [String: (Int, Double)] = [:]
        var deals: [String: [String]] = [:]
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                SELECT t.stage_id, count(*) OVER w, coalesce(sum(t.amount) OVER w, 0)::float8,
                       row_number() OVER (w ORDER BY t.created_at DESC, t.id DESC), \(schema.jsonSQL)
                FROM deals t WHERE t.org_id = $1 AND t.pipeline_id = $2 AND t.deleted_at IS NULL
                WINDOW w AS (PARTITION BY t.stage_id)
                """, binds: {
                    var binds = PostgresBindings()
                    binds.append(org)
                    binds.append(id)
                    return binds
                }()), logger: services.logger)
        for try await (stage, count, amount, rank, json) in rows.decode((UUID, Int, Double, Int, String).self) {
            totals[stage.text] = (count, amount)
            if rank <= 20 { deals[stage.text, default: []].append(json) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let stages = try pipeline.stages.map { stage -> String in
            let stageJSON = String(decoding: try encoder.encode(stage), as: UTF8.self)
            let (count, amount) = totals[stage.id] ?? (0, 0)
            return "{\"stage\":\(stageJSON),\"count\":\(count),\"amount\":\(JSONValue.number(amount).serialized()),\"deals\":[\((deals[stage.id] ?? []).joined(separator: ","))]}"
        }
        return "{\"stages\":[" + stages.joined(separator: ",") + "]}"
    }
}
