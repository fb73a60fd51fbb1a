import Foundation
import Kernel
import Testing
import TestSupport

/// API.md, Insights: the dashboard's figures, computed over the caller's organization only.
@Suite struct InsightsTests {
    func session() async throws -> Session { try await Session.register(on: try await SharedServer.shared.server()) }

    func id(_ response: HTTP.Response) throws -> String { try #require(response.json?["id"]?.stringValue) }

    /// Today's UTC date at the first second: due today whatever the time of the run.
    var earlyToday: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date()) + "T00:00:01Z"
    }

    func stages(_ s: Session) async throws -> (pipeline: String, byKind: [String: String], lead: String) {
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        let stages = pipeline["stages"]?.arrayValue ?? []
        var byKind: [String: String] = [:]
        for stage in stages { if let kind = stage["kind"]?.stringValue, byKind[kind] == nil { byKind[kind] = stage["id"]?.stringValue } }
        return (pipeline["id"]?.stringValue ?? "", byKind, stages.first?["id"]?.stringValue ?? "")
    }

    @Test func theSummaryCountsLiveRecordsOfTheOrganizationByCurrency() async throws {
        let s = try await session()
        let other = try await session()
        let (_, byKind, _) = try await stages(s)
        for name in ["Ada", "Grace"] { _ = try await s.send(.POST, "/contacts", ["lastName": .string(name)]) }
        _ = try await s.send(.POST, "/deals", ["name": "Open USD", "amount": 1000])
        _ = try await s.send(.POST, "/deals", ["name": "Open USD 2", "amount": 0.5])
        _ = try await s.send(.POST, "/deals", ["name": "Open EUR", "amount": 20, "currency": "EUR"])
        _ = try await s.send(.POST, "/deals", ["name": "Won", "amount": 250.25, "currency": "EUR", "stageId": .string(byKind["won"] ?? "")])
        _ = try await s.send(.POST, "/deals", ["name": "Lost", "amount": 99, "stageId": .string(byKind["lost"] ?? "")])
        let deleted = try id(try await s.send(.POST, "/deals", ["name": "Deleted", "amount": 5000]))
        #expect(try await s.send(.DELETE, "/deals/\(deleted)").status == 204)
        _ = try await s.send(.POST, "/activities", ["type": "task", "subject": "Due", "dueAt": .string(earlyToday)])
        _ = try await s.send(.POST, "/activities", ["type": "task", "subject": "Late", "dueAt": "2020-01-01T00:00:00Z"])
        _ = try await s.send(.POST, "/activities", [
            "type": "task", "subject": "Done", "dueAt": "2020-01-01T00:00:00Z", "completedAt": "2020-01-02T00:00:00Z",
        ])
        let gone = try id(try await s.send(.POST, "/activities", ["type": "task", "subject": "Gone", "dueAt": "2020-01-01T00:00:00Z"]))
        #expect(try await s.send(.DELETE, "/activities/\(gone)").status == 204)

        let summary = try await s.get("/insights/summary")
        #expect(summary.status == 200)
        #expect(summary.json?["openPipeline"] == [
            "count": 3, "amounts": [["currency": "EUR", "amount": 20], ["currency": "USD", "amount": 1000.5]],
        ])
        #expect(summary.json?["wonThisMonth"] == ["count": 1, "amounts": [["currency": "EUR", "amount": 250.25]]])
        #expect(summary.json?["activitiesDueToday"] == 1)
        #expect(summary.json?["activitiesOverdue"] == 1)
        #expect(summary.json?["newContacts30d"] == 2)

        // Nothing of it is another tenant's.
        let theirs = try await other.get("/insights/summary")
        #expect(theirs.json?["openPipeline"] == ["count": 0, "amounts": []])
        #expect(theirs.json?["newContacts30d"] == 0)
        #expect(theirs.json?["activitiesOverdue"] == 0)
    }

    @Test func pipelineInsightsWeighAmountsAndRateWins() async throws {
        let s = try await session()
        let (pipeline, byKind, lead) = try await stages(s)
        _ = try await s.send(.POST, "/deals", ["name": "A", "amount": 1000])  // Lead, 10 %
        _ = try await s.send(.POST, "/deals", ["name": "B", "amount": 300])
        _ = try await s.send(.POST, "/deals", ["name": "W", "amount": 50, "stageId": .string(byKind["won"] ?? "")])
        _ = try await s.send(.POST, "/deals", ["name": "L", "amount": 70, "stageId": .string(byKind["lost"] ?? "")])
        _ = try await s.send(.POST, "/deals", ["name": "L2", "amount": 70, "stageId": .string(byKind["lost"] ?? "")])

        let insights = try await s.get("/insights/pipeline")
        #expect(insights.status == 200)
        #expect(insights.json?["pipeline"]?["id"] == .string(pipeline))
        let stages = insights.json?["stages"]?.arrayValue ?? []
        #expect(stages.count == 6)
        let first = try #require(stages.first)
        #expect(first["stage"]?["id"] == .string(lead))
        #expect(first["count"] == 2)
        #expect(first["amounts"] == [["currency": "USD", "amount": 1300]])
        #expect(first["weightedAmounts"] == [["currency": "USD", "amount": 130]])
        #expect(stages[1]["count"] == 0 && stages[1]["amounts"] == [])
        #expect(insights.json?["winRate"]?.doubleValue.map { abs($0 - 1.0 / 3.0) < 0.001 } == true)
        let days = insights.json?["averageDaysInStage"]?.objectValue ?? [:]
        #expect(days[lead] != nil)
        #expect(days.values.allSatisfy { ($0.doubleValue ?? -1) >= 0 })

        #expect(try await s.get("/insights/pipeline?pipelineId=\(pipeline)").status == 200)
        #expect(try await s.get("/insights/pipeline?pipelineId=\(UUID().uuidString)").status == 404)
        #expect(try await s.get("/insights/pipeline?pipelineId=nope").status == 400)
        // A fresh organization has closed nothing: no rate.
        let fresh = try await session()
        #expect(try await fresh.get("/insights/pipeline").json?["winRate"] == .null)
    }

    @Test func activityInsightsGroupByOwnerAndFollowThePlugin() async throws {
        let s = try await session()
        let me = JSONValue.string(s.userID)
        _ = try await s.send(.POST, "/activities", ["type": "call", "subject": "Due", "dueAt": .string(earlyToday), "ownerId": me])
        _ = try await s.send(.POST, "/activities", ["type": "call", "subject": "Late", "dueAt": "2021-05-01T10:00:00Z", "ownerId": me])
        let done = try id(try await s.send(.POST, "/activities", ["type": "call", "subject": "Done", "ownerId": me]))
        #expect(try await s.send(.POST, "/activities/\(done)/complete").status == 200)
        _ = try await s.send(.POST, "/activities", ["type": "note", "subject": "Nobody's", "dueAt": "2021-05-01T10:00:00Z"])
        _ = try await s.send(.POST, "/activities", ["type": "note", "subject": "Far away", "dueAt": "2999-01-01T00:00:00Z"])

        let insights = try await s.get("/insights/activities")
        #expect(insights.status == 200)
        #expect(insights.json?["data"] == [
            ["ownerId": me, "due": 1, "overdue": 1, "doneLast7Days": 1],
            ["ownerId": .null, "due": 0, "overdue": 1, "doneLast7Days": 0],
        ])

        // With the plugin off, its figures and its route are gone; the rest stays.
        #expect(try await s.send(.PUT, "/plugins/activities", ["enabled": false]).status == 200)
        #expect(try await s.get("/insights/activities").json?["code"] == "plugin_disabled")
        let summary = try await s.get("/insights/summary").json?.objectValue ?? [:]
        #expect(summary["activitiesDueToday"] == nil && summary["newContacts30d"] != nil)
    }

    /// The figures come from counters that triggers keep; after every kind of write — moves,
    /// edits of amount and currency, a stage's kind changed, deletes, restores, completions,
    /// owners changed — they must equal a recount over the records themselves (as the superuser,
    /// with the definitions of API.md).
    @Test func countersAgreeWithARecountAfterEveryKindOfWrite() async throws {
        let s = try await session()
        let other = try await session()
        let (_, byKind, lead) = try await stages(s)
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        var deals: [String] = []
        for (index, currency) in ["USD", "EUR", "USD", "GBP", "EUR", "USD"].enumerated() {
            deals.append(try id(try await s.send(.POST, "/deals", [
                "name": .string("D\(index)"), "amount": .double(Double(index) * 100.5), "currency": .string(currency),
            ])))
        }
        _ = try await other.send(.POST, "/deals", ["name": "Theirs", "amount": 7])
        #expect(try await s.send(.POST, "/deals/\(deals[0])/move", ["stageId": .string(byKind["won"] ?? "")]).status == 200)
        #expect(try await s.send(.POST, "/deals/\(deals[1])/move", ["stageId": .string(byKind["lost"] ?? "")]).status == 200)
        #expect(try await s.send(.POST, "/deals/\(deals[2])/move", ["stageId": .string(byKind["won"] ?? "")]).status == 200)
        #expect(try await s.send(.POST, "/deals/\(deals[2])/move", ["stageId": .string(lead)]).status == 200)
        #expect(try await s.send(.PATCH, "/deals/\(deals[3])", ["amount": 42.42, "currency": "EUR"]).status == 200)
        #expect(try await s.send(.PATCH, "/deals/\(deals[4])", ["amount": .null]).status == 200)
        #expect(try await s.send(.DELETE, "/deals/\(deals[5])").status == 204)
        #expect(try await s.send(.DELETE, "/deals/\(deals[0])").status == 204)
        #expect(try await s.send(.POST, "/deals/\(deals[0])/restore").status == 200)
        // The second stage becomes a won stage: its deals are won from now on.
        var stagesBody = pipeline["stages"]?.arrayValue ?? []
        #expect(try await s.send(.POST, "/deals/\(deals[3])/move", ["stageId": stagesBody[1]["id"] ?? .null]).status == 200)
        var second = stagesBody[1].objectValue ?? [:]
        second["kind"] = "won"
        stagesBody[1] = .object(second)
        #expect(try await s.send(.PATCH, "/pipelines/\(pipeline["id"]?.stringValue ?? "")", ["stages": .array(stagesBody)]).status == 200)

        let me = JSONValue.string(s.userID)
        var activities: [String] = []
        for (subject, due) in [("a", earlyToday), ("b", "2021-01-01T00:00:00Z"), ("c", "2999-01-01T00:00:00Z"), ("d", "2021-06-01T00:00:00Z")] {
            activities.append(try id(try await s.send(.POST, "/activities", [
                "type": "task", "subject": .string(subject), "dueAt": .string(due), "ownerId": me,
            ])))
        }
        #expect(try await s.send(.POST, "/activities/\(activities[0])/complete").status == 200)
        #expect(try await s.send(.PATCH, "/activities/\(activities[1])", ["ownerId": .null]).status == 200)
        #expect(try await s.send(.PATCH, "/activities/\(activities[2])", ["dueAt": .string(earlyToday)]).status == 200)
        #expect(try await s.send(.DELETE, "/activities/\(activities[3])").status == 204)
        let contact = try id(try await s.send(.POST, "/contacts", ["lastName": "Gone"]))
        _ = try await s.send(.POST, "/contacts", ["lastName": "Kept"])
        #expect(try await s.send(.DELETE, "/contacts/\(contact)").status == 204)

        // The recount: (figure, currency or "", value) rows over the records, as the superuser.
        let org = s.organizationID
        let recounted = try await SharedServer.shared.database().withAdmin { client in
            try await client.withConnection { connection -> [String: Double] in
                let rows = try await connection.query(
                    """
                    SELECT 'openPipeline ' || d.currency, coalesce(sum(d.amount), 0)::float8 FROM deals d
                      JOIN stages st ON st.org_id = d.org_id AND st.id = d.stage_id AND st.kind = 'open'
                      WHERE d.org_id = \(org)::uuid AND d.deleted_at IS NULL GROUP BY 1
                    UNION ALL
                    SELECT 'wonThisMonth ' || d.currency, coalesce(sum(d.amount), 0)::float8 FROM deals d
                      WHERE d.org_id = \(org)::uuid AND d.deleted_at IS NULL AND d.status = 'won'
                        AND d.stage_entered_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' GROUP BY 1
                    UNION ALL
                    SELECT 'activitiesDueToday', count(*)::float8 FROM activities
                      WHERE org_id = \(org)::uuid AND deleted_at IS NULL AND completed_at IS NULL
                        AND (due_at AT TIME ZONE 'UTC')::date = (now() AT TIME ZONE 'UTC')::date
                    UNION ALL
                    SELECT 'activitiesOverdue', count(*)::float8 FROM activities
                      WHERE org_id = \(org)::uuid AND deleted_at IS NULL AND completed_at IS NULL
                        AND (due_at AT TIME ZONE 'UTC')::date < (now() AT TIME ZONE 'UTC')::date
                    UNION ALL
                    SELECT 'newContacts30d', count(*)::float8 FROM contacts
                      WHERE org_id = \(org)::uuid AND deleted_at IS NULL AND created_at >= now() - interval '30 days'
                    """, logger: TestDatabase.logger)
                var figures: [String: Double] = [:]
                for try await (name, value) in rows.decode((String, Double).self) { figures[name] = value }
                return figures
            }
        }
        let summary = try #require(try await s.get("/insights/summary").json?.objectValue)
        var reported: [String: Double] = [:]
        for (name, figure) in summary {
            if let amounts = figure["amounts"]?.arrayValue {
                for amount in amounts {
                    reported["\(name) \(amount["currency"]?.stringValue ?? "")"] = amount["amount"]?.doubleValue
                }
            } else {
                reported[name] = figure.doubleValue
            }
        }
        #expect(reported == recounted)
        #expect(summary["activitiesDueToday"] == 1 && summary["activitiesOverdue"] == 1 && summary["newContacts30d"] == 1)
        #expect(summary["wonThisMonth"]?["count"] == 2)

        // The pipeline's stages agree with the deals, the averages are there for entered stages.
        let insights = try #require(try await s.get("/insights/pipeline").json)
        let counted = (insights["stages"]?.arrayValue ?? []).reduce(0) { $0 + ($1["count"]?.doubleValue ?? 0) }
        #expect(counted == 5)
        #expect(insights["winRate"]?.doubleValue.map { abs($0 - 2.0 / 3.0) < 0.001 } == true, "\(insights)")
        let averages = insights["averageDaysInStage"]?.objectValue ?? [:]
        #expect(averages[lead] != nil)
        let activityFigures = try await s.get("/insights/activities").json?["data"]
        #expect(activityFigures == [
            ["ownerId": me, "due": 1, "overdue": 0, "doneLast7Days": 1],
            ["ownerId": .null, "due": 0, "overdue": 1, "doneLast7Days": 0],
        ])
    }
}
