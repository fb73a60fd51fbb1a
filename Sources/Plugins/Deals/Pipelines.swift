import Foundation
import Kernel
import PostgresNIO

/// Pipelines and their ordered stages (not records: no history or custom fields), read and
/// written inside the caller's tenant-scoped connection.
struct Pipelines: Sendable {
    struct Stage: Codable, Sendable, Equatable {
        let id: String
        var name: String
        var position: Int
        var probability: Int
        var kind: String
    }

    struct Pipeline: Codable, Sendable {
        let id: String
        var name: String
        var stages: [Stage]
    }

    /// New organizations' pipeline (API.md, Entities).
    static let defaultStages: [(String, Int, String)] = [
        ("Lead", 10, "open"), ("Qualified", 25, "open"), ("Proposal", 50, "open"), ("Negotiation", 75, "open"),
        ("Won", 100, "won"), ("Lost", 0, "lost"),
    ]

    let services: KernelServices
    var logger: Logger { services.logger }

    func createDefault(for organizationID: UUID, on connection: PostgresConnection) async throws {
        let stages = Self.defaultStages.enumerated().map { index, stage in
            Stage(id: UUID().text, name: stage.0, position: index, probability: stage.1, kind: stage.2)
        }
        _ = try await create(organizationID, name: "Sales", stages: stages, on: connection)
    }

    func create(_ org: UUID, name: String, stages: [Stage], on connection: PostgresConnection) async throws -> Pipeline {
        let id = UUID()
        try await connection.query(
            """
            INSERT INTO pipelines (org_id, id, name, position)
            VALUES (\(org), \(id), \(name), (SELECT coalesce(max(position) + 1, 0) FROM pipelines WHERE org_id = \(org)))
            """, logger: logger)
        for stage in stages { try await insert(stage, pipeline: id, org: org, on: connection) }
        return Pipeline(id: id.text, name: name, stages: stages)
    }

    func insert(_ stage: Stage, pipeline: UUID, org: UUID, on connection: PostgresConnection) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO stages (org_id, id, pipeline_id, name, position, probability, kind)
                VALUES (\(org), \(UUID(text: stage.id) ?? UUID()), \(pipeline), \(stage.name), \(stage.position), \(stage.probability), \(stage.kind))
                """, logger: logger)
        } catch where SQLState.isUniqueViolation(error) {
            // A client-chosen id that another stage of the organization has (taken meanwhile).
            throw APIError.validation([FieldError(field: "stages", code: "invalid_reference", message: "stage id \(stage.id) is already used")])
        }
    }

    /// Every pipeline, in position order, with its stages in position order.
    func all(_ org: UUID, on connection: PostgresConnection, only id: UUID? = nil) async throws -> [Pipeline] {
        let rows = try await connection.query(
            """
            SELECT p.id, p.name, s.id, s.name, s.position, s.probability, s.kind
            FROM pipelines p LEFT JOIN stages s ON s.org_id = p.org_id AND s.pipeline_id = p.id
            WHERE p.org_id = \(org) AND (\(id)::uuid IS NULL OR p.id = \(id))
            ORDER BY p.position, p.created_at, p.id, s.position
            """, logger: logger)
        var pipelines: [Pipeline] = []
        for try await (pipelineID, name, stageID, stageName, position, probability, kind)
            in rows.decode((UUID, String, UUID?, String?, Int?, Int?, String?).self)
        {
            if pipelines.last?.id != pipelineID.text {
                pipelines.append(Pipeline(id: pipelineID.text, name: name, stages: []))
            }
            if let stageID, let stageName, let position, let probability, let kind {
                pipelines[pipelines.count - 1].stages.append(
                    Stage(id: stageID.text, name: stageName, position: position, probability: probability, kind: kind))
            }
        }
        return pipelines
    }

    func one(_ org: UUID, _ id: UUID, on connection: PostgresConnection) async throws -> Pipeline {
        guard let pipeline = try await all(org, on: connection, only: id).first else {
            throw APIError.notFound("no pipeline \(id.text)")
        }
        return pipeline
    }

    /// The pipeline and kind of a stage of this organization.
    func stage(_ org: UUID, _ id: UUID, on connection: PostgresConnection) async throws -> (pipeline: UUID, kind: String)? {
        let rows = try await connection.query(
            "SELECT pipeline_id, kind FROM stages WHERE org_id = \(org) AND id = \(id)", logger: logger)
        for try await (pipeline, kind) in rows.decode((UUID, String).self) { return (pipeline, kind) }
        return nil
    }

    /// The first stage (by position) of a pipeline, or of the organization's first pipeline.
    func firstStage(_ org: UUID, pipeline: UUID?, on connection: PostgresConnection) async throws -> (pipeline: UUID, stage: UUID, kind: String)? {
        let rows = try await connection.query(
            """
            SELECT s.pipeline_id, s.id, s.kind FROM stages s JOIN pipelines p ON p.org_id = s.org_id AND p.id = s.pipeline_id
            WHERE s.org_id = \(org) AND (\(pipeline)::uuid IS NULL OR s.pipeline_id = \(pipeline))
            ORDER BY p.position, p.created_at, p.id, s.position LIMIT 1
            """, logger: logger)
        for try await row in rows.decode((UUID, UUID, String).self) { return row }
        return nil
    }
}
