import Foundation
import Kernel
import Testing
import TestSupport

@Suite struct CustomFieldTests {
    func session() async throws -> Session { try await Session.register(on: try await SharedServer.shared.server()) }

    func define(_ s: Session, _ body: JSONValue) async throws -> HTTP.Response {
        try await s.send(.POST, "/custom-fields", body)
    }

    @Test func everyTypeValidatesOnEveryEntity() async throws {
        let s = try await session()
        let samples: [(String, JSONValue, JSONValue, JSONValue?)] = [
            ("text", "hello", 5, nil), ("longText", .string(String(repeating: "l", count: 5000)), true, nil),
            ("number", 1.5, "1.5", nil), ("integer", 7, 7.5, nil), ("boolean", true, "true", nil),
            ("date", "2026-02-28", "2026-02-30", nil), ("datetime", "2026-11-24T19:08:42Z", "yesterday", nil),
            ("email", "a@b.co", "nope", nil), ("url", "https://x.example", "ftp://x", nil), ("phone", "+1 555 0100", "call me", nil),
            ("select", "gold", "platinum", ["gold", "silver"]), ("multiSelect", ["gold"], ["gold", "tin"], ["gold", "silver"]),
            ("currency", ["amount": 12.5, "currency": "EUR"], 12.5, nil),
        ]
        for entity in ["contacts", "companies", "deals", "activities"] {
            for (type, good, bad, options) in samples {
                var body: JSONValue = ["entity": .string(entity), "key": .string("f\(type)"), "type": .string(type)]
                if let options, case .object(var object) = body { object["options"] = options; body = .object(object) }
                let created = try await define(s, body)
                #expect(created.status == 201, "\(entity) \(type): \(created.text)")
            }
        }
        let base: [String: JSONValue] = [
            "contacts": ["firstName": "A"], "companies": ["name": "A"], "deals": ["name": "A"], "activities": ["type": "note", "subject": "A"],
        ]
        for entity in ["contacts", "companies", "deals", "activities"] {
            var good: [String: JSONValue] = [:]
            for (type, value, _, _) in samples { good["f\(type)"] = value }
            var body = base[entity]?.objectValue ?? [:]
            body["custom"] = .object(good)
            let created = try await s.send(.POST, "/\(entity)", .object(body))
            #expect(created.status == 201, "\(entity): \(created.text)")
            #expect(created.json?["custom"]?["fcurrency"] == ["amount": 12.5, "currency": "EUR"])
            for (type, _, bad, _) in samples {
                var wrong = base[entity]?.objectValue ?? [:]
                wrong["custom"] = .object(["f\(type)": bad])
                let response = try await s.send(.POST, "/\(entity)", .object(wrong))
                #expect(response.status == 422, "\(entity) \(type) accepted \(bad)")
                #expect(response.json?["errors"]?.arrayValue?.first?["field"] == .string("custom.f\(type)"))
            }
        }
    }

    @Test func requiredDefaultsAndUnknownKeys() async throws {
        let s = try await session()
        #expect(try await define(s, ["entity": "contacts", "key": "tier", "type": "select", "options": ["gold", "silver"], "required": true, "defaultValue": "silver"]).status == 201)
        #expect(try await define(s, ["entity": "contacts", "key": "region", "type": "text", "required": true]).status == 201)
        let missing = try await s.send(.POST, "/contacts", ["firstName": "A"])
        #expect(missing.status == 422)
        #expect(missing.json?["errors"]?.arrayValue?.map { $0["field"] } == ["custom.region"])
        let created = try await s.send(.POST, "/contacts", ["firstName": "A", "custom": ["region": "EU"]])
        #expect(created.json?["custom"] == ["tier": "silver", "region": "EU"])
        let explicitNull = try await s.send(.POST, "/contacts", ["firstName": "A", "custom": ["region": "EU", "tier": nil]])
        #expect(explicitNull.status == 422)
        let unknown = try await s.send(.POST, "/contacts", ["firstName": "A", "custom": ["region": "EU", "shoe": 44]])
        #expect(unknown.json?["errors"]?.arrayValue?.first?["field"] == "custom.shoe")
        // Another tenant has none of these fields.
        let other = try await session()
        #expect(try await other.send(.POST, "/contacts", ["firstName": "A", "custom": ["region": "EU"]]).status == 422)
        #expect(try await other.get("/custom-fields").json?["data"]?.arrayValue?.isEmpty == true)
    }

    @Test func luaValidationAndFormulas() async throws {
        let s = try await session()
        #expect(try await define(s, ["entity": "deals", "key": "discount", "type": "number",
                                     "validation": ["expression": "value >= 0 and value <= 0.3", "message": "at most 30 %"]]).status == 201)
        #expect(try await define(s, ["entity": "deals", "key": "net", "type": "number",
                                     "formula": "(record.amount or 0) * (1 - (record.custom.discount or 0))"]).status == 201)
        #expect(try await define(s, ["entity": "deals", "key": "broken", "type": "number", "formula": "record.custom.nothing.deeper"]).status == 201)
        let tooMuch = try await s.send(.POST, "/deals", ["name": "d", "amount": 100, "custom": ["discount": 0.5]])
        #expect(tooMuch.status == 422)
        #expect(tooMuch.json?["errors"]?.arrayValue?.first == ["field": "custom.discount", "code": "invalid", "message": "at most 30 %"])
        let deal = try await s.send(.POST, "/deals", ["name": "d", "amount": 100, "custom": ["discount": 0.25]])
        #expect(deal.status == 201)
        #expect(deal.json?["custom"]?["net"] == 75)
        #expect(deal.json?["custom"]?["broken"] == nil, "a failing formula stores nothing and the write goes on")
        let id = try #require(deal.json?["id"]?.stringValue)
        let repriced = try await s.send(.PATCH, "/deals/\(id)", ["amount": 200])
        #expect(repriced.json?["custom"]?["net"] == 150)
        #expect(try await s.send(.PATCH, "/deals/\(id)", ["custom": ["net": 1]]).status == 422)
        let badFormula = try await define(s, ["entity": "deals", "key": "oops", "type": "number", "formula": "1 +"])
        #expect(badFormula.status == 422)
        #expect(badFormula.json?["errors"]?.arrayValue?.first?["field"] == "formula")
        let badValidation = try await define(s, ["entity": "deals", "key": "oops", "type": "number", "validation": ["expression": "value >", "message": "x"]])
        #expect(badValidation.json?["errors"]?.arrayValue?.first?["field"] == "validation.expression")
        let loop = try await define(s, ["entity": "deals", "key": "spin", "type": "number", "formula": "(function() while true do end end)()"])
        #expect(loop.status == 201)
        let stillWrites = try await s.send(.POST, "/deals", ["name": "after loop"])
        #expect(stillWrites.status == 201)
        #expect(stillWrites.json?["custom"]?["spin"] == nil)
    }

    @Test func customFiltersAreTypedAndUseTheIndex() async throws {
        let s = try await session()
        #expect(try await define(s, ["entity": "contacts", "key": "score", "type": "integer"]).status == 201)
        #expect(try await define(s, ["entity": "contacts", "key": "tier", "type": "select", "options": ["gold", "silver"]]).status == 201)
        for (score, tier) in [(5, "gold"), (40, "silver"), (100, "gold")] {
            _ = try await s.send(.POST, "/contacts", ["firstName": .string("s\(score)"), "custom": ["score": .int(Int64(score)), "tier": .string(tier)]])
        }
        func names(_ query: String) async throws -> [String] {
            try await s.get("/contacts?\(query)").json?["data"]?.arrayValue?.compactMap { $0["firstName"]?.stringValue } ?? []
        }
        // Sorting or a range over a field that is not indexed would read every record: 400, saying what to do.
        for query in ["sort=custom.score", "filter[custom.score][gt]=9"] {
            let refused = try await s.get("/contacts?\(query)")
            #expect(refused.status == 400, "\(query)")
            #expect(refused.json?["detail"]?.stringValue?.contains("indexed") == true, "\(query)")
        }
        // Indexing it fills the sort column of the records already stored.
        let definitions = try await s.get("/custom-fields?entity=contacts").json?["data"]?.arrayValue ?? []
        let scoreID = try #require(definitions.first { $0["key"] == "score" }?["id"]?.stringValue)
        let indexed = try await s.send(.PATCH, "/custom-fields/\(scoreID)", ["indexed": true])
        #expect(indexed.status == 200)
        #expect(indexed.json?["indexed"] == true)
        // Numbers compare as numbers (9 < 40 < 100 although "100" < "40" < "5" as text).
        #expect(try await names("filter[custom.score][gt]=9&sort=custom.score") == ["s40", "s100"])
        #expect(try await names("sort=-custom.score") == ["s100", "s40", "s5"])
        #expect(try await names("filter[custom.score][in]=5,100&sort=custom.score") == ["s5", "s100"])
        // Writes keep it: a new record and a changed value sort at once.
        _ = try await s.send(.POST, "/contacts", ["firstName": "s70", "custom": ["score": 70]])
        let s5 = try await s.get("/contacts?filter[firstName]=s5").json?["data"]?.arrayValue?.first?["id"]?.stringValue
        #expect(try await s.send(.PATCH, "/contacts/\(try #require(s5))", ["custom": ["score": 1000]]).status == 200)
        #expect(try await names("sort=-custom.score") == ["s5", "s100", "s70", "s40"])
        // A cursor carries the custom value: one record per page walks the same order.
        var walked: [String] = []
        var cursor: String?
        repeat {
            let page = try await s.get("/contacts?limit=1&sort=-custom.score" + (cursor.map { "&cursor=\($0)" } ?? ""))
            walked += page.json?["data"]?.arrayValue?.compactMap { $0["firstName"]?.stringValue } ?? []
            cursor = page.json?["nextCursor"]?.stringValue
        } while cursor != nil && walked.count < 6
        #expect(walked == ["s5", "s100", "s70", "s40"])
        #expect(Set(try await names("filter[custom.tier]=gold")) == ["s5", "s100"])
        #expect(try await s.get("/contacts?filter[custom.nothing]=1").status == 400)
        #expect(try await s.get("/contacts?filter[custom.score][gt]=many").status == 400)
        // One indexed number field per entity; a boolean cannot be indexed.
        let second = try await define(s, ["entity": "contacts", "key": "rating", "type": "number", "indexed": true])
        #expect(second.status == 409)
        #expect(second.json?["detail"]?.stringValue?.contains("custom.score") == true)
        #expect(try await define(s, ["entity": "contacts", "key": "vip", "type": "boolean", "indexed": true]).status == 422)
        #expect(try await define(s, ["entity": "contacts", "key": "since", "type": "date", "indexed": true]).status == 201)

        // As the server's role, under row-level security: the range and the sort read the index.
        let database = try await SharedServer.shared.database()
        let organizationID = s.organizationID
        let plan = try await database.withAppTenant(organizationID) { connection in
            // With so few rows any plan is cheap: rule out the others, to see whether RLS lets
            // the range be a condition of the index scan (not a filter after the policy).
            for setting in ["enable_seqscan", "enable_sort", "enable_bitmapscan"] {
                try await connection.query("SET \(unescaped: setting) = off", logger: TestDatabase.logger)
            }
            let rows = try await connection.query(
                """
                EXPLAIN SELECT id FROM contacts t WHERE t.org_id = \(organizationID)::uuid AND t.deleted_at IS NULL
                AND t.sort_number > 9::double precision ORDER BY t.sort_number, t.id LIMIT 25
                """, logger: TestDatabase.logger)
            var lines: [String] = []
            for try await line in rows.decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
        #expect(plan.contains("contacts_slot_number") && plan.contains("sort_number > "), "\(plan)")
        #expect(!plan.contains("Filter: (sort_number"), "\(plan)")
        #expect(!plan.contains("Sort Key"), "\(plan)")

        // Unindexed again: the column is cleared and the sort refused.
        #expect(try await s.send(.PATCH, "/custom-fields/\(scoreID)", ["indexed": false]).status == 200)
        #expect(try await s.get("/contacts?sort=custom.score").status == 400)
        let leftover = try await database.withAdmin { client in
            let rows = try await client.query(
                "SELECT count(*) FROM contacts WHERE org_id = \(organizationID)::uuid AND sort_number IS NOT NULL", logger: TestDatabase.logger)
            var count = -1
            for try await n in rows.decode(Int.self) { count = n }
            return count
        }
        #expect(leftover == 0)
    }

    @Test func changingAndDeletingDefinitions() async throws {
        let s = try await session()
        let defined = try await define(s, ["entity": "companies", "key": "size", "type": "text"])
        let id = try #require(defined.json?["id"]?.stringValue)
        #expect(try await define(s, ["entity": "companies", "key": "size", "type": "text"]).status == 409)
        #expect(try await s.send(.PATCH, "/custom-fields/\(id)", ["type": "integer"]).status == 200, "no values yet: converts")
        let company = try #require(try await s.send(.POST, "/companies", ["name": "A", "custom": ["size": 10]]).json?["id"]?.stringValue)
        // 10 converts to text and back; "ten" would not convert to an integer.
        #expect(try await s.send(.PATCH, "/custom-fields/\(id)", ["type": "text"]).status == 200)
        #expect(try await s.get("/companies/\(company)").json?["custom"] == ["size": "10"])
        #expect(try await s.send(.POST, "/companies", ["name": "B", "custom": ["size": "ten"]]).status == 201)
        let refused = try await s.send(.PATCH, "/custom-fields/\(id)", ["type": "integer"])
        #expect(refused.status == 409)
        #expect(refused.json?["count"] == 1)
        #expect(try await s.get("/companies/\(company)").json?["custom"] == ["size": "10"], "nothing converted")
        #expect(try await s.send(.PATCH, "/custom-fields/\(id)", ["label": "Head count"]).json?["label"] == "Head count")
        #expect(try await s.send(.DELETE, "/custom-fields/\(id)").status == 204)
        #expect(try await s.get("/companies/\(company)").json?["custom"] == .object([:]), "the value is hidden")
        #expect(try await s.send(.POST, "/companies", ["name": "C", "custom": ["size": 1]]).status == 422)
    }

    @Test func badDefinitionsAreClearErrors() async throws {
        let s = try await session()
        let cases: [(JSONValue, String)] = [
            (["entity": "contacts", "key": "Bad Key", "type": "text"], "key"),
            (["entity": "contacts", "key": "email", "type": "text"], "key"),
            (["entity": "contacts", "key": "end", "type": "text"], "key"),
            (["entity": "contacts", "key": "x", "type": "blob"], "type"),
            (["entity": "planets", "key": "x", "type": "text"], "entity"),
            (["entity": "contacts", "key": "x", "type": "select"], "options"),
            (["entity": "contacts", "key": "x", "type": "select", "options": .array((0..<500).map { .string("o\($0)") })], "options"),
            (["entity": "contacts", "key": "x", "type": "integer", "defaultValue": "seven"], "defaultValue"),
        ]
        for (body, field) in cases {
            let response = try await define(s, body)
            #expect(response.status == 422, "\(body)")
            #expect(response.json?["errors"]?.arrayValue?.contains { $0["field"] == .string(field) } == true, "\(body): \(response.text)")
        }
        let owner = s
        let viewer = try await Session.register(on: try await SharedServer.shared.server())
        try await owner.addMember(viewer, role: "member")
        let member = try await owner.loginAs(viewer)
        #expect(try await member.send(.POST, "/custom-fields", ["entity": "contacts", "key": "x", "type": "text"]).status == 403)
        #expect(try await member.get("/custom-fields").status == 200)
    }
}
