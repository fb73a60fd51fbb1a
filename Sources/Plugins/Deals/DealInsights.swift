import Foundation
import Hummingbird
import Kernel
import OpenAPIKit
import PostgresNIO

/// The deals' part of the dashboard (API.md, Insights): the summary's `openPipeline` and
/// `wonThisMonth`, and `GET /insights/pipeline`. The figures read the counters that the triggers
/// of migration `0003_insight_counters` keep (a few rows per stage, currency and day), so they
/// cost the same at a million deals as at ten.
struct DealInsights {
    let services: KernelServices
    let pipelines: Pipelines

    var logger: Logger { services.logger }

    func register(into registrar: PluginRegistrar) {
        registrar.insightFigures { org, connection in try await summary(org, on: connection) }
        registrar.routes.tagged("insights").get("/insights/pipeline", requires: .declared("deals.read"), doc: Self.pipelineDoc) {
            request, _, principal in
            let org = principal.organizationID
            var wanted: UUID?
            if let raw = request.uri.queryParameters.get("pipelineId") {
                guard let id = UUID(text: raw) else { throw APIError.badRequest("pipelineId must be a pipeline id") }
                wanted = id
            }
            let figures = try await services.database.withScope(principal.scope) { connection in
                try await pipelineFigures(org, wanted, on: connection)
            }
            return try JSONResponse.make(.ok, figures)
        }
    }

    func summary(_ org: UUID, on connection: PostgresConnection) async throws -> [String: JSONValue] {
        let open = try await connection.query(
            """
            SELECT split_part(c.key, ' ', 2), sum(c.n)::int, sum(c.amount)::text FROM insight_counters c
            JOIN stages s ON s.org_id = c.org_id AND s.id = split_part(c.key, ' ', 1)::uuid AND s.kind = 'open'
            WHERE c.org_id = \(org) AND c.name = 'deals.stage' AND c.day = '-infinity'
            GROUP BY 1 HAVING sum(c.n) > 0 ORDER BY 1
            """, logger: logger)
        let won = try await connection.query(
            """
            SELECT split_part(key, ' ', 2), sum(n)::int, sum(amount)::text FROM insight_counters
            WHERE org_id = \(org) AND name = 'deals.won' AND day >= \(unescaped: InsightCounters.monthStart)
            GROUP BY 1 HAVING sum(n) > 0 ORDER BY 1
            """, logger: logger)
        return ["openPipeline": try await Self.money(open), "wonThisMonth": try await Self.money(won)]
    }

    /// `{count, amounts}` from rows of (currency, count, sum).
    static func money(_ rows: PostgresRowSequence) async throws -> JSONValue {
        var count = 0
        var sums: [(String, String?)] = []
        for try await (currency, n, sum) in rows.decode((String, Int, String?).self) {
            count += n
            sums.append((currency, sum))
        }
        return ["count": .int(Int64(count)), "amounts": InsightFigures.amounts(sums)]
    }

    func pipelineFigures(_ org: UUID, _ wanted: UUID?, on connection: PostgresConnection) async throws -> JSONValue {
        let all = try await pipelines.all(org, on: connection)
        guard let pipeline = wanted.map({ id in all.first { $0.id == id.text } }) ?? all.first else {
            throw APIError.notFound(wanted.map { "no pipeline \($0.text)" } ?? "this organization has no pipeline")
        }
        guard let pipelineID = UUID(text: pipeline.id) else { throw APIError.internalError() }
        let rows = try await connection.query(
            """
            SELECT s.id, split_part(c.key, ' ', 2), sum(c.n)::int, sum(c.amount)::text, (sum(c.amount) * s.probability / 100.0)::text
            FROM insight_counters c JOIN stages s ON s.org_id = c.org_id AND s.id = split_part(c.key, ' ', 1)::uuid
            WHERE c.org_id = \(org) AND c.name = 'deals.stage' AND c.day = '-infinity' AND s.pipeline_id = \(pipelineID)
            GROUP BY s.id, s.probability, 2 HAVING sum(c.n) > 0 ORDER BY 2
            """, logger: logger)
        var counts: [UUID: Int] = [:]
        var amounts: [UUID: [(String, String?)]] = [:]
        var weighted: [UUID: [(String, String?)]] = [:]
        for try await (stage, currency, n, sum, weightedSum) in rows.decode((UUID, String, Int, String?, String?).self) {
            counts[stage, default: 0] += n
            amounts[stage, default: []].append((currency, sum))
            weighted[stage, default: []].append((currency, weightedSum))
        }
        let stages: [JSONValue] = pipeline.stages.map { stage in
            let id = UUID(text: stage.id) ?? UUID()
            return [
                "stage": [
                    "id": .string(stage.id), "name": .string(stage.name), "position": .int(Int64(stage.position)),
                    "probability": .int(Int64(stage.probability)), "kind": .string(stage.kind),
                ],
                "count": .int(Int64(counts[id] ?? 0)),
                "amounts": InsightFigures.amounts(amounts[id] ?? []),
                "weightedAmounts": InsightFigures.amounts(weighted[id] ?? []),
            ]
        }
        // Closed = now in a won or lost stage, entered in the last 90 days: the counters of the
        // whole days, and the deals of the window's first, partial day.
        let closed = try await connection.query(
            """
            SELECT coalesce(sum(won), 0)::int, coalesce(sum(lost), 0)::int FROM (
                SELECT sum(n) FILTER (WHERE name = 'deals.won') AS won, sum(n) FILTER (WHERE name = 'deals.lost') AS lost
                FROM insight_counters
                WHERE org_id = \(org) AND name IN ('deals.won', 'deals.lost') AND day > \(unescaped: InsightCounters.firstDay(of: "90 days"))
                  AND split_part(key, ' ', 1) = \(pipelineID.text)
                UNION ALL
                SELECT count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost') FROM deals
                WHERE org_id = \(org) AND deleted_at IS NULL AND status IN ('won', 'lost') AND pipeline_id = \(pipelineID)
                  AND \(unescaped: InsightCounters.partialFirstDay(of: "90 days", column: "stage_entered_at"))
            ) closed
            """, logger: logger)
        var winRate = JSONValue.null
        for try await (won, lost) in closed.decode((Int, Int).self) where won + lost > 0 {
            winRate = .double((Double(won) / Double(won + lost) * 10_000).rounded() / 10_000)
        }
        // Average = (lengths of closed entries + open entries × now − their start times) ÷ entries.
        let durations = try await connection.query(
            """
            SELECT key::uuid, ((coalesce(sum(amount) FILTER (WHERE name = 'deals.leftStage'), 0)
                               + coalesce(sum(n) FILTER (WHERE name = 'deals.inStage'), 0) * extract(epoch FROM now())
                               - coalesce(sum(amount) FILTER (WHERE name = 'deals.inStage'), 0)) / sum(n) / 86400)::float8
            FROM insight_counters
            WHERE org_id = \(org) AND name IN ('deals.inStage', 'deals.leftStage') AND day = '-infinity'
            GROUP BY key HAVING sum(n) > 0
            """, logger: logger)
        let stageIDs = Set(pipeline.stages.map(\.id))
        var days: [String: JSONValue] = [:]
        for try await (stage, average) in durations.decode((UUID, Double).self) where stageIDs.contains(stage.text) {
            days[stage.text] = .double((max(0, average) * 100).rounded() / 100)
        }
        return [
            "pipeline": ["id": .string(pipeline.id), "name": .string(pipeline.name)],
            "stages": .array(stages), "winRate": winRate, "averageDaysInStage": .object(days),
        ]
    }

    static var pipelineDoc: APIOperation {
        let stage = JSONSchema.object(properties: [
            "stage": .object(properties: [
                "id": .string(format: .uuid), "name": .string, "position": .integer, "probability": .integer,
                "kind": .string(allowedValues: ["open", "won", "lost"]),
            ]),
            "count": .integer(minimum: (0, exclusive: false)),
            "amounts": InsightFigures.amountsSchema,
            "weightedAmounts": InsightFigures.amountsSchema.with(description: "Amounts × the stage's probability ÷ 100, by currency."),
        ])
        let response = JSONSchema.object(
            title: "PipelineInsights",
            properties: [
                "pipeline": .object(properties: ["id": .string(format: .uuid), "name": .string]),
                "stages": .array(items: stage),
                "winRate": .number(
                    nullable: true,
                    description: "Won ÷ (won + lost) over this pipeline's deals closed in the last 90 days; null when none closed.",
                    maximum: (1, exclusive: false), minimum: (0, exclusive: false)),
                "averageDaysInStage": .object(
                    description: "Average days deals of this pipeline spent (or have spent so far) in each stage, by stage id.",
                    additionalProperties: .b(.number(minimum: (0, exclusive: false)))),
            ])
        return APIOperation(
            "getPipelineInsights", "Figures of a pipeline, stage by stage",
            description: "The default (first) pipeline without `pipelineId`. An unknown pipeline → 404.",
            response: response,
            parameters: [APIParameters.query("pipelineId", .string(format: .uuid), "The pipeline (default: the first).")],
            errors: [400])
    }
}
