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

    /// An installation that had deals before the counters: the migration finds, across every
    /// tenant, when each deal entered its stage (from the history, not its creation) and counts
    /// its stage entries — the history is under row-level security like the deals.
    @Test func anExistingInstallationsDealsAreCountedByTheMigration() async throws {
        let database = try await TestDatabase.create()
        let sets = CRMServer.migrationSets(for: try PluginRegistry([ContactsPlugin(), DealsPlugin()]))
        let before = sets.map { $0.owner == "deals" ? MigrationSet(owner: "deals", migrations: Array($0.migrations.prefix(2))) : $0 }
        try await database.withApp { try await Migrator(client: $0, logger: logger).migrate(before) }
        let installation = MigratedDatabase(database: database)
        let (org, pipeline, open, won, deal) = (UUID(), UUID(), UUID(), UUID(), UUID())
        try await installation.asOrganization(org) { connection in
            try await connection.query("INSERT INTO pipelines (org_id, id, name) VALUES (\(org), \(pipeline), 'P')", logger: logger)
            try await connection.query(
                """
                INSERT INTO stages (org_id, id, pipeline_id, name, position, probability, kind) VALUES
                  (\(org), \(open), \(pipeline), 'Open', 0, 10, 'open'), (\(org), \(won), \(pipeline), 'Won', 1, 100, 'won')
                """, logger: logger)
            // Created on 1 January in the open stage, won on 5 January.
            try await connection.query(
                """
                INSERT INTO deals (org_id, id, name, amount, currency, pipeline_id, stage_id, status, created_at)
                VALUES (\(org), \(deal), 'D', 10, 'EUR', \(pipeline), \(won), 'won', '2026-01-01T09:00:00Z')
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO deal_stage_history (org_id, deal_id, stage_id, entered_at, left_at) VALUES
                  (\(org), \(deal), \(open), '2026-01-01T09:00:00Z', '2026-01-05T09:00:00Z'),
                  (\(org), \(deal), \(won), '2026-01-05T09:00:00Z', NULL)
                """, logger: logger)
        }
        try await database.withApp { try await Migrator(client: $0, logger: logger).migrate(sets) }

        let entered = try await installation.asOrganization(org) { connection -> [String] in
            var days: [String] = []
            let rows = try await connection.query(
                "SELECT (stage_entered_at AT TIME ZONE 'UTC')::date::text FROM deals WHERE id = \(deal)", logger: logger)
            for try await day in rows.decode(String.self) { days.append(day) }
            return days
        }
        #expect(entered == ["2026-01-05"])
        #expect(try await installation.counters(org) == [
            "deals.stage -infinity \(won.text) EUR": 1, "deals.won 2026-01-05 \(pipeline.text) EUR": 1,
            "deals.inStage -infinity \(won.text)": 1, "deals.leftStage -infinity \(open.text)": 1,
        ])
    }
}
