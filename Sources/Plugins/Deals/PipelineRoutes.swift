import Foundation
import Hummingbird
import Kernel
import PostgresNIO

/// `/pipelines`: list, create, read, rename/restage, delete (only without live deals).
struct PipelineRoutes {
    let services: KernelServices
    let pipelines: Pipelines

    var logger: Logger { services.logger }
    static let read = Permission.declared("deals.read")
    static let write = Permission.declared("deals.write")

    func register(on routes: APIRoutes) {
        routes.get("/pipelines", requires: Self.read, doc: DealsDocs.listPipelines) { _, _, principal in
            let all = try await services.database.withScope(principal.scope) { connection in
                try await pipelines.all(principal.organizationID, on: connection)
            }
            return try JSONResponse.make(.ok, DataEnvelope(all))
        }
        routes.post("/pipelines", requires: Self.write, doc: DealsDocs.createPipeline) { request, context, principal in
            let body = try await JSONBody.object(request, context: context)
            let (name, parsed) = try Self.parse(body, requireAll: true)
            // A new pipeline's stages are new: ids a client sends (say, from a copied pipeline) are not reused.
            let stages = (parsed ?? []).map {
                Pipelines.Stage(id: UUID().text, name: $0.name, position: $0.position, probability: $0.probability, kind: $0.kind)
            }
            let pipeline = try await services.database.transaction(principal.scope) { connection in
                try await pipelines.create(principal.organizationID, name: name ?? "", stages: stages, on: connection)
            }
            return try JSONResponse.make(.created, pipeline, headers: [.location: "/api/v1/pipelines/\(pipeline.id)"])
        }
        routes.get("/pipelines/:id", requires: Self.read, doc: DealsDocs.getPipeline) { _, context, principal in
            let id = try context.uuidParameter("id")
            let pipeline = try await services.database.withScope(principal.scope) { connection in
                try await pipelines.one(principal.organizationID, id, on: connection)
            }
            return try JSONResponse.make(.ok, pipeline)
        }
        routes.patch("/pipelines/:id", requires: Self.write, doc: DealsDocs.updatePipeline) { request, context, principal in
            let id = try context.uuidParameter("id")
            let body = try await JSONBody.object(request, context: context)
            let (name, stages) = try Self.parse(body, requireAll: false)
            let pipeline = try await services.database.transaction(principal.scope) { connection in
                try await update(principal.organizationID, id, name: name, stages: stages, on: connection)
            }
            return try JSONResponse.make(.ok, pipeline)
        }
        routes.delete("/pipelines/:id", requires: Self.write, doc: DealsDocs.deletePipeline) { _, context, principal in
            let id = try context.uuidParameter("id")
            try await services.database.transaction(principal.scope) { connection in
                _ = try await pipelines.one(principal.organizationID, id, on: connection)
                let deals = try await liveDeals(principal.organizationID, pipeline: id, stages: nil, on: connection)
                guard deals == 0 else { throw APIError.conflict("the pipeline has \(deals) deals; move or delete them first") }
                try await connection.query(
                    "DELETE FROM pipelines WHERE org_id = \(principal.organizationID) AND id = \(id)", logger: logger)
            }
            return JSONResponse.noContent()
        }
        BoardRoute(services: services, pipelines: pipelines).register(on: routes)
    }

    /// Renames and/or replaces the stage list: stages with an `id` are kept (and updated), new
    /// ones are added, missing ones are removed unless live deals are in them (409).
    func update(_ org: UUID, _ id: UUID, name: String?, stages: [Pipelines.Stage]?, on connection: PostgresConnection) async throws -> Pipelines.Pipeline {
        // One change of a pipeline at a time: two at once would both see a new stage id as free.
        try await connection.query("SELECT 1 FROM pipelines WHERE org_id = \(org) AND id = \(id) FOR UPDATE", logger: logger)
        let current = try await pipelines.one(org, id, on: connection)
        if let name {
            try await connection.query("UPDATE pipelines SET name = \(name), updated_at = now() WHERE org_id = \(org) AND id = \(id)", logger: logger)
        }
        if let stages {
            let keep = Set(stages.map(\.id))
            let removed = current.stages.filter { !keep.contains($0.id) }.compactMap { UUID(text: $0.id) }
            let known = Set(current.stages.map(\.id))
            for stage in stages where stage.id.isEmpty == false && !known.contains(stage.id) && UUID(text: stage.id) != nil {
                if try await pipelines.stage(org, UUID(text: stage.id)!, on: connection) != nil {
                    throw APIError.validation([FieldError(field: "stages", code: "invalid_reference", message: "stage \(stage.id) belongs to another pipeline")])
                }
            }
            if !removed.isEmpty {
                let deals = try await liveDeals(org, pipeline: id, stages: removed, on: connection)
                guard deals == 0 else { throw APIError.conflict("\(deals) deals are in the stages being removed; move them first") }
                try await connection.query("DELETE FROM stages WHERE org_id = \(org) AND id = ANY(\(removed))", logger: logger)
            }
            for stage in stages {
                if known.contains(stage.id), let stageID = UUID(text: stage.id) {
                    try await connection.query(
                        """
                        UPDATE stages SET name = \(stage.name), position = \(stage.position), probability = \(stage.probability), kind = \(stage.kind)
                        WHERE org_id = \(org) AND id = \(stageID)
                        """, logger: logger)
                    // The deals in it take the stage's kind as their status, through the store.
                    let rows = try await connection.query(
                        "SELECT id FROM deals WHERE org_id = \(org) AND stage_id = \(stageID) AND status <> \(stage.kind) ORDER BY id",
                        logger: logger)
                    var deals: [UUID] = []
                    for try await deal in rows.decode(UUID.self) { deals.append(deal) }
                    try await services.records.systemUpdate(
                        DealSchema.schema, ids: deals, cause: "stage.kindChanged", organizationID: org, on: connection
                    ) { deal in deal["status"] = .string(stage.kind) }
                } else {
                    try await pipelines.insert(stage, pipeline: id, org: org, on: connection)
                }
            }
        }
        return try await pipelines.one(org, id, on: connection)
    }

    func liveDeals(_ org: UUID, pipeline: UUID, stages: [UUID]?, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT count(*) FROM deals WHERE org_id = \(org) AND pipeline_id = \(pipeline) AND deleted_at IS NULL
            AND (\(stages)::uuid[] IS NULL OR stage_id = ANY(\(stages)))
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// `{name, stages: [{id?, name, probability, kind}]}`; stage positions follow the array.
    static func parse(_ body: [String: JSONValue], requireAll: Bool) throws -> (String?, [Pipelines.Stage]?) {
        var errors: [FieldError] = []
        for key in body.keys where !["name", "stages"].contains(key) {
            errors.append(FieldError(field: key, code: "unknown_field", message: "is not a field of pipelines"))
        }
        var name: String?
        if let value = body["name"] {
            if case .string(let text) = value, (1...200).contains(text.trimmingCharacters(in: .whitespaces).count) {
                name = text.trimmingCharacters(in: .whitespaces)
            } else {
                errors.append(FieldError(field: "name", code: "invalid", message: "must be a name of 1-200 characters"))
            }
        } else if requireAll {
            errors.append(FieldError(field: "name", code: "required", message: "is required"))
        }
        var stages: [Pipelines.Stage]?
        if let value = body["stages"] {
            if case .array(let items) = value, (1...50).contains(items.count) {
                stages = []
                for (index, item) in items.enumerated() {
                    let field = "stages.\(index)"
                    guard case .object(let stage) = item else {
                        errors.append(FieldError(field: field, code: "invalid_type", message: "must be an object"))
                        continue
                    }
                    for key in stage.keys where !["id", "name", "probability", "kind", "position"].contains(key) {
                        errors.append(FieldError(field: "\(field).\(key)", code: "unknown_field", message: "is not a stage field"))
                    }
                    let stageName = stage["name"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
                    if !(1...100).contains(stageName.count) {
                        errors.append(FieldError(field: "\(field).name", code: "required", message: "must be a name of 1-100 characters"))
                    }
                    var probability = 0
                    if let value = stage["probability"] {
                        if case .int(let p) = value, (0...100).contains(p) { probability = Int(p) } else {
                            errors.append(FieldError(field: "\(field).probability", code: "invalid", message: "must be an integer from 0 to 100"))
                        }
                    }
                    // Positions follow the array; a `position` sent along must at least be one.
                    switch stage["position"] {
                    case nil, .int?: break
                    default: errors.append(FieldError(field: "\(field).position", code: "invalid_type", message: "must be an integer"))
                    }
                    let kind = stage["kind"].map { $0.stringValue ?? "" } ?? "open"
                    if !["open", "won", "lost"].contains(kind) {
                        errors.append(FieldError(field: "\(field).kind", code: "invalid_option", message: "must be open, won or lost"))
                    }
                    var id = UUID().text
                    if let raw = stage["id"] {
                        if let text = raw.stringValue, let parsed = UUID(text: text) { id = parsed.text } else {
                            errors.append(FieldError(field: "\(field).id", code: "invalid_reference", message: "must be a stage id"))
                        }
                    }
                    if stages?.contains(where: { $0.id == id }) == true {
                        errors.append(FieldError(field: "\(field).id", code: "duplicate", message: "names a stage listed twice"))
                    }
                    stages?.append(Pipelines.Stage(id: id, name: stageName, position: index, probability: probability, kind: kind))
                }
            } else {
                errors.append(FieldError(field: "stages", code: "invalid_type", message: "must be an array of 1-50 stages"))
            }
        } else if requireAll {
            errors.append(FieldError(field: "stages", code: "required", message: "is required"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return (name, stages)
    }
}
