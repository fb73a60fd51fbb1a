import Foundation
import Kernel
import Testing
import TestSupport

@Suite struct DealTests {
    func session() async throws -> Session { try await Session.register(on: try await SharedServer.shared.server()) }

    func salesPipeline(_ s: Session) async throws -> JSONValue {
        try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
    }

    func stage(_ pipeline: JSONValue, _ name: String) -> String {
        pipeline["stages"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["id"]?.stringValue ?? ""
    }

    @Test func newOrganizationsGetTheSalesPipeline() async throws {
        let s = try await session()
        let pipeline = try await salesPipeline(s)
        #expect(pipeline["name"] == "Sales")
        let stages = pipeline["stages"]?.arrayValue ?? []
        #expect(stages.map { $0["name"] } == ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"])
        #expect(stages.map { $0["probability"] } == [10, 25, 50, 75, 100, 0])
        #expect(stages.map { $0["kind"] } == ["open", "open", "open", "open", "won", "lost"])
    }

    @Test func dealsDefaultToTheFirstStageAndOrganizationCurrency() async throws {
        let s = try await session()
        _ = try await s.send(.PATCH, "/organizations/current", ["currency": "EUR"])
        let pipeline = try await salesPipeline(s)
        let deal = try await s.send(.POST, "/deals", ["name": "First", "amount": 99.99])
        #expect(deal.status == 201)
        #expect(deal.json?["currency"] == "EUR")
        #expect(deal.json?["stageId"] == .string(stage(pipeline, "Lead")))
        #expect(deal.json?["pipelineId"] == pipeline["id"])
        #expect(deal.json?["status"] == "open")
        #expect(deal.json?["amount"] == 99.99)
    }

    /// Cursors carry sort values of every type — numeric amounts, dates, nulls, times — and the
    /// pages, one record at a time, walk exactly the order of one big page.
    @Test func cursorsPageThroughNumbersDatesAndNulls() async throws {
        let s = try await session()
        let deals: [(String, JSONValue, JSONValue)] = [
            ("a", 10, "2026-03-01"), ("b", 10, nil), ("c", 2.5, "2026-01-15"), ("d", nil, "2026-03-01"), ("e", 99.99, nil),
            ("f", 10, "2025-12-31"), ("g", 0, "2026-03-01"),
        ]
        for (name, amount, closeDate) in deals {
            #expect(try await s.send(.POST, "/deals", ["name": .string(name), "amount": amount, "closeDate": closeDate]).status == 201)
        }
        func names(_ page: HTTP.Response) -> [String] { page.json?["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [] }
        for sort in ["amount,-closeDate", "-amount,closeDate", "closeDate", "-closeDate,-amount", "name"] {
            let all = names(try await s.get("/deals?limit=100&sort=\(sort)"))
            #expect(all.count == deals.count, "\(sort)")
            var walked: [String] = []
            var cursor: String?
            repeat {
                let page = try await s.get("/deals?limit=2&sort=\(sort)" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.status == 200, "\(sort)")
                walked += names(page)
                cursor = page.json?["nextCursor"]?.stringValue
            } while cursor != nil && walked.count <= deals.count
            #expect(walked == all, "\(sort)")
        }
        // Ascending puts nulls last, descending first (PostgreSQL's defaults).
        #expect(names(try await s.get("/deals?limit=100&sort=amount,-closeDate")) == ["g", "c", "b", "a", "f", "e", "d"])
    }

    @Test func badDealsAreFieldErrors() async throws {
        let s = try await session()
        let other = try await session()
        let foreignStage = stage(try await salesPipeline(other), "Won")
        let cases: [(JSONValue, String)] = [
            (["name": "x", "amount": -1], "amount"),
            (["name": "x", "amount": 1.234], "amount"),
            (["name": "x", "currency": "XXX"], "currency"),
            (["name": "x", "stageId": .string(foreignStage)], "stageId"),
            (["name": "x", "stageId": "nope"], "stageId"),
            (["name": "x", "status": "won"], "status"),
            (["name": "x", "contactIds": [.string(UUID().uuidString)]], "contactIds"),
            (["amount": 1], "name"),
            // Digits of another script once passed the date pattern and crashed the server.
            (["name": "x", "closeDate": "٢٠٢٦-١١-٢٨"], "closeDate"),
            (["name": "x", "closeDate": "2026-02-30"], "closeDate"),
        ]
        for (body, field) in cases {
            let response = try await s.send(.POST, "/deals", body)
            #expect(response.status == 422, "\(body)")
            #expect(response.json?["errors"]?.arrayValue?.contains { $0["field"] == .string(field) } == true, "\(body): \(response.text)")
        }
        let second = try await s.send(.POST, "/pipelines", ["name": "Partners", "stages": [["name": "Intro"], ["name": "Signed", "kind": "won", "probability": 100]]])
        #expect(second.status == 201)
        let mismatch = try await s.send(.POST, "/deals", ["name": "x", "pipelineId": second.json?["id"] ?? nil, "stageId": .string(stage(try await salesPipeline(s), "Lead"))])
        #expect(mismatch.status == 422)
    }

    @Test func movingToAWonStageSetsStatusAndKeepsStageHistory() async throws {
        let s = try await session()
        let pipeline = try await salesPipeline(s)
        let contact = try #require(try await s.send(.POST, "/contacts", ["firstName": "Ann"]).json?["id"])
        let deal = try await s.send(.POST, "/deals", ["name": "Move me", "amount": 10, "contactIds": [contact]])
        #expect(deal.json?["contactIds"] == [contact])
        let id = try #require(deal.json?["id"]?.stringValue)
        let stale = try await s.send(.POST, "/deals/\(id)/move", ["stageId": .string(stage(pipeline, "Won"))], headers: ["If-Match": "\"7\""])
        #expect(stale.status == 412)
        let moved = try await s.send(.POST, "/deals/\(id)/move", ["stageId": .string(stage(pipeline, "Won"))], headers: ["If-Match": "\"1\""])
        #expect(moved.status == 200)
        #expect(moved.json?["status"] == "won")
        #expect(moved.json?["version"] == 2)
        let history = try await s.get("/deals/\(id)/stage-history")
        let entries = try #require(history.json?["data"]?.arrayValue)
        #expect(entries.map { $0["stageId"] } == [.string(stage(pipeline, "Lead")), .string(stage(pipeline, "Won"))])
        #expect(entries[0]["leftAt"]?.stringValue != nil)
        #expect(entries[1]["leftAt"] == .null)
        #expect(try await s.send(.PATCH, "/deals/\(id)", ["status": "lost"]).status == 422)
    }

    @Test func theBoardShowsEveryStageWithCountsAndSums() async throws {
        let s = try await session()
        let pipeline = try await salesPipeline(s)
        let id = try #require(pipeline["id"]?.stringValue)
        for amount in [100.0, 250.5] { _ = try await s.send(.POST, "/deals", ["name": "d", "amount": .double(amount)]) }
        _ = try await s.send(.POST, "/deals", ["name": "won", "amount": 5, "stageId": .string(stage(pipeline, "Won"))])
        let board = try await s.get("/pipelines/\(id)/board")
        #expect(board.status == 200)
        let stages = try #require(board.json?["stages"]?.arrayValue)
        #expect(stages.count == 6)
        #expect(stages[0]["count"] == 2)
        #expect(stages[0]["amount"] == 350.5)
        #expect(stages[0]["deals"]?.arrayValue?.count == 2)
        #expect(stages[1]["count"] == 0)
        #expect(stages[1]["amount"] == 0)
        #expect(stages[4]["count"] == 1)
        #expect(try await s.get("/pipelines/\(UUID())/board").status == 404)
    }

    @Test func stageIdsFromAnotherPipelineOrListedTwiceAreNotAServerError() async throws {
        let s = try await session()
        let sales = try await salesPipeline(s)
        let lead = stage(sales, "Lead")
        // A copy of an existing pipeline (its stage ids included) gets stages of its own.
        let copy = try await s.send(.POST, "/pipelines", ["name": "Copy", "stages": [["id": .string(lead), "name": "Lead"]]])
        #expect(copy.status == 201, "\(copy.text)")
        let copied = copy.json?["stages"]?.arrayValue?.first?["id"]?.stringValue
        #expect(copied != nil && copied != lead)
        #expect(try await s.get("/pipelines/\(copy.json?["id"]?.stringValue ?? "")").json?["stages"]?.arrayValue?.first?["id"]?.stringValue == copied)

        let twice = try await s.send(.POST, "/pipelines", ["name": "Twice", "stages": [["id": .string(lead), "name": "A"], ["id": .string(lead), "name": "B"]]])
        #expect(twice.status == 422)
        #expect(twice.json?["errors"]?.arrayValue?.first?["field"] == "stages.1.id")
        let patch = try await s.send(
            .PATCH, "/pipelines/\(sales["id"]?.stringValue ?? "")", ["stages": [["id": .string(lead), "name": "A"], ["id": .string(lead), "name": "B"]]])
        #expect(patch.status == 422)
    }

    @Test func pipelinesWithDealsCannotBeDeleted() async throws {
        let s = try await session()
        let created = try await s.send(.POST, "/pipelines", ["name": "Temp", "stages": [["name": "Only"]]])
        let id = try #require(created.json?["id"]?.stringValue)
        let deal = try #require(try await s.send(.POST, "/deals", ["name": "d", "pipelineId": .string(id)]).json?["id"]?.stringValue)
        #expect(try await s.send(.DELETE, "/pipelines/\(id)").status == 409)
        #expect(try await s.send(.DELETE, "/deals/\(deal)").status == 204)
        #expect(try await s.send(.DELETE, "/pipelines/\(id)").status == 204)
        #expect(try await s.send(.POST, "/pipelines", ["name": "Bad", "stages": [["name": "", "probability": 101, "kind": "maybe"]]]).status == 422)
    }

    @Test func activitiesLinkAndComplete() async throws {
        let s = try await session()
        let deal = try #require(try await s.send(.POST, "/deals", ["name": "d"]).json?["id"])
        let activity = try await s.send(.POST, "/activities", ["type": "call", "subject": "Call", "dealId": deal, "dueAt": "2026-12-01T10:00:00+01:00"])
        #expect(activity.status == 201)
        #expect(activity.json?["dueAt"] == "2026-12-01T09:00:00Z")
        let id = try #require(activity.json?["id"]?.stringValue)
        let done = try await s.send(.POST, "/activities/\(id)/complete")
        #expect(done.status == 200)
        #expect(done.json?["completedAt"]?.stringValue != nil)
        #expect(try await s.send(.POST, "/activities", ["type": "fax", "subject": "x"]).status == 422)
        #expect(try await s.send(.POST, "/activities", ["type": "task", "subject": "x", "dueAt": "tomorrow"]).status == 422)
    }

    @Test func tagsAreListedCreatedAndRemovedFromRecords() async throws {
        let s = try await session()
        let contact = try #require(try await s.send(.POST, "/contacts", ["firstName": "T", "tags": ["vip"]]).json?["id"]?.stringValue)
        let tags = try await s.get("/tags")
        let vip = try #require(tags.json?["data"]?.arrayValue?.first { $0["name"] == "vip" }?["id"]?.stringValue)
        #expect(try await s.send(.POST, "/tags", ["name": "cold"]).status == 201)
        #expect(try await s.send(.POST, "/tags", ["name": "cold"]).status == 409)
        #expect(try await s.send(.DELETE, "/tags/\(vip)").status == 204)
        #expect(try await s.get("/contacts/\(contact)").json?["tags"] == [])
    }

    @Test func aDisabledPluginsEntitiesAnswerPluginDisabled() async throws {
        let s = try await session()
        #expect(try await s.send(.PUT, "/plugins/activities", ["enabled": false]).status == 200)
        let response = try await s.get("/activities")
        #expect(response.status == 404)
        #expect(response.json?["code"] == "plugin_disabled")
        #expect(try await s.send(.PUT, "/plugins/activities", ["enabled": true]).status == 200)
        #expect(try await s.get("/activities").status == 200)
    }

    @Test func viewersReadButDoNotWriteRecords() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let viewer = try await Session.register(on: server)
        try await owner.addMember(viewer, role: "viewer")
        let signedIn = try await owner.loginAs(viewer)
        #expect(try await signedIn.get("/contacts").status == 200)
        #expect(try await signedIn.send(.POST, "/contacts", ["firstName": "x"]).status == 403)
    }
}

/// Every record route with another tenant's ids: 404 and nothing changes.
@Suite struct CrossTenantTests {
    @Test func anotherTenantsIDsAreNotFoundEverywhere() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let intruder = try await Session.register(on: server)
        var ids: [String: String] = [:]
        ids["companies"] = try await owner.send(.POST, "/companies", ["name": "Secret Co"]).json?["id"]?.stringValue
        ids["contacts"] = try await owner.send(.POST, "/contacts", ["firstName": "Secret"]).json?["id"]?.stringValue
        ids["deals"] = try await owner.send(.POST, "/deals", ["name": "Secret deal"]).json?["id"]?.stringValue
        ids["activities"] = try await owner.send(.POST, "/activities", ["type": "note", "subject": "Secret"]).json?["id"]?.stringValue
        let pipeline = try #require(try await owner.get("/pipelines").json?["data"]?.arrayValue?.first?["id"]?.stringValue)

        for (entity, id) in ids {
            let before = try await owner.get("/\(entity)/\(id)")
            for (method, path, body) in [
                (HTTPMethodName.GET, "/\(entity)/\(id)", nil), (.PUT, "/\(entity)/\(id)", ["name": "x"]),
                (.PATCH, "/\(entity)/\(id)", ["name": "x"]), (.DELETE, "/\(entity)/\(id)", nil),
                (.POST, "/\(entity)/\(id)/restore", nil), (.GET, "/\(entity)/\(id)/history", nil),
            ] as [(HTTPMethodName, String, JSONValue?)] {
                let response = try await intruder.send(method, path, body)
                #expect([404, 422].contains(response.status), "\(method) \(path) → \(response.status)")
                #expect(!response.text.contains("Secret"))
            }
            let after = try await owner.get("/\(entity)/\(id)")
            #expect(after.json == before.json, "\(entity) changed")
        }
        let deal = ids["deals"] ?? ""
        #expect(try await intruder.send(.POST, "/deals/\(deal)/move", ["stageId": .string(UUID().uuidString)]).status == 404)
        #expect(try await intruder.get("/deals/\(deal)/stage-history").status == 404)
        #expect(try await intruder.send(.POST, "/activities/\(ids["activities"] ?? "")/complete").status == 404)
        #expect(try await intruder.get("/pipelines/\(pipeline)").status == 404)
        #expect(try await intruder.get("/pipelines/\(pipeline)/board").status == 404)
        #expect(try await intruder.send(.PATCH, "/pipelines/\(pipeline)", ["name": "mine"]).status == 404)
        #expect(try await intruder.send(.DELETE, "/pipelines/\(pipeline)").status == 404)
        #expect(try await intruder.get("/contacts").json?["data"]?.arrayValue?.isEmpty == true)
        #expect(try await intruder.get("/search?q=secret").json?["data"]?.arrayValue?.isEmpty == true)
        let ownerTags = try await owner.send(.POST, "/tags", ["name": "mine"])
        #expect(try await intruder.send(.DELETE, "/tags/\(ownerTags.json?["id"]?.stringValue ?? "")").status == 404)
    }
}
