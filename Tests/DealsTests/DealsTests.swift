import Contacts
@testable import Deals
import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// The Deals module on its own: its manifest, and the triggers of its migrations on a real
/// PostgreSQL — when a deal entered its stage, and the insights' counters of deals and of
/// their stage entries.
@Suite struct DealsTests {
    let logger = TestDatabase.logger

    @Test func theManifestDeclaresItsPermissionsAndDependency() {
        let manifest = DealsPlugin().manifest
        #expect(manifest.dependsOn == ["contacts"])
        #expect(manifest.permissions.map(\.name) == ["deals.read", "deals.write"])
    }

    @Test func aDealCountsByStageAndItsWinByDayWhileLive() async throws {
        let database = try await MigratedDatabase.shared()
        let org = UUID()
        let (pipeline, open, won, deal) = (UUID(), UUID(), UUID(), UUID())
        let entered = try await database.asOrganization(org) { connection -> [Date] in
            try await connection.query("INSERT INTO pipelines (org_id, id, name) VALUES (\(org), \(pipeline), 'P')", logger: logger)
            try await connection.query(
                """
                INSERT INTO stages (org_id, id, pipeline_id, name, position, probability, kind) VALUES
                  (\(org), \(open), \(pipeline), 'Open', 0, 10, 'open'), (\(org), \(won), \(pipeline), 'Won', 1, 100, 'won')
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO deals (org_id, id, name, amount, currency, pipeline_id, stage_id, status)
                VALUES (\(org), \(deal), 'D', 100.50, 'EUR', \(pipeline), \(open), 'open')
                """, logger: logger)
            try await connection.query("INSERT INTO deal_stage_history (org_id, deal_id, stage_id) VALUES (\(org), \(deal), \(open))", logger: logger)
            var times: [Date] = []
            for try await at in try await connection.query("SELECT stage_entered_at FROM deals WHERE id = \(deal)", logger: logger).decode(Date.self) {
                times.append(at)
            }
            // A name change keeps the time; a stage change sets it.
            try await connection.query("UPDATE deals SET name = 'D2' WHERE id = \(deal)", logger: logger)
            try await connection.query("UPDATE deals SET stage_id = \(won), status = 'won' WHERE id = \(deal)", logger: logger)
            for try await at in try await connection.query("SELECT stage_entered_at FROM deals WHERE id = \(deal)", logger: logger).decode(Date.self) {
                times.append(at)
            }
            return times
        }
        #expect(entered.count == 2 && entered[0] < entered[1])
        let counters = try await database.counters(org)
        #expect(counters["deals.stage -infinity \(won.text) EUR"] == 1)
        #expect(counters["deals.stage -infinity \(open.text) EUR"] == nil, "moved out of the open stage")
        #expect(counters.keys.contains { $0.hasPrefix("deals.won ") && $0.hasSuffix("\(pipeline.text) EUR") })
        #expect(counters["deals.inStage -infinity \(open.text)"] == 1, "its stage entry counts while it is live")

        // Deleted: nothing of it counts, its stage entry included.
        try await database.asOrganization(org) { connection in
            try await connection.query("UPDATE deals SET deleted_at = now() WHERE id = \(deal)", logger: logger)
        }
        #expect(try await database.counters(org).isEmpty)
    }
}
