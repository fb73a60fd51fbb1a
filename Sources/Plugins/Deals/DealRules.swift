import Foundation
import Kernel
import PostgresNIO

/// The deal rules that span tables: defaults (currency, pipeline, first stage), a stage that
/// must belong to the deal's pipeline, `status` from the stage's kind, and the stage history
/// with the `deals.stageChanged` event.
struct DealRules: Sendable {
    let services: KernelServices
    let pipelines: Pipelines

    var logger: Logger { services.logger }

    func resolveStage(_ event: inout HookEvent, on connection: PostgresConnection) async throws {
        let org = event.organizationID
        var record = event.record
        if record["currency"]?.isNull ?? true {
            let rows = try await connection.query("SELECT currency FROM organizations WHERE id = \(org)", logger: logger)
            for try await currency in rows.decode(String.self) { record["currency"] = .string(currency) }
        }
        let pipelineID = record["pipelineId"]?.stringValue.flatMap(UUID.init(text:))
        if let stageID = record["stageId"]?.stringValue.flatMap(UUID.init(text:)) {
            guard let stage = try await pipelines.stage(org, stageID, on: connection) else {
                throw RecordError.invalid([FieldError(field: "stageId", code: "invalid_reference", message: "is not a stage of this organization")])
            }
            if let pipelineID, pipelineID != stage.pipeline {
                throw RecordError.invalid([FieldError(field: "stageId", code: "wrong_pipeline", message: "belongs to another pipeline")])
            }
            record["pipelineId"] = .string(stage.pipeline.text)
            record["status"] = .string(stage.kind)
        } else {
            guard let first = try await pipelines.firstStage(org, pipeline: pipelineID, on: connection) else {
                throw RecordError.invalid([FieldError(field: "pipelineId", code: "invalid_reference", message: pipelineID == nil
                    ? "this organization has no pipeline with stages" : "is not a pipeline (with stages) of this organization")])
            }
            record["pipelineId"] = .string(first.pipeline.text)
            record["stageId"] = .string(first.stage.text)
            record["status"] = .string(first.kind)
        }
        event.record = record
    }

    func trackStage(_ event: HookEvent, on connection: PostgresConnection) async throws {
        let org = event.organizationID
        guard let dealID = event.record["id"]?.stringValue.flatMap(UUID.init(text:)),
            let stageID = event.record["stageId"]?.stringValue.flatMap(UUID.init(text:))
        else { return }
        let previousStage = event.previous?["stageId"]?.stringValue
        guard previousStage != stageID.text else { return }
        // The entry starts when the deal's row says it entered the stage (`stage_entered_at`,
        // set by a trigger), so the history and the insights' counters agree to the microsecond.
        try await connection.query(
            """
            UPDATE deal_stage_history SET left_at = (SELECT stage_entered_at FROM deals WHERE org_id = \(org) AND id = \(dealID))
            WHERE org_id = \(org) AND deal_id = \(dealID) AND left_at IS NULL
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO deal_stage_history (org_id, deal_id, stage_id, entered_at)
            SELECT org_id, id, stage_id, stage_entered_at FROM deals WHERE org_id = \(org) AND id = \(dealID)
            """, logger: logger)
        guard event.previous != nil else { return }
        var changed = HookEvent(
            name: "deals.stageChanged", entity: "deals", phase: .after, record: event.record, previous: event.previous,
            changed: ["stageId"], actor: event.actor, depth: event.depth)
        let tenant = try await services.pluginStates.tenant(org)
        try await services.hooks.run(&changed, enabled: tenant.enabled, on: connection)
    }
}
