import Foundation
import Kernel
import Testing
import TestSupport

/// DESIGN.md: every change to a record goes through the RecordStore — also the ones the server
/// makes because something else changed. Each must move the version (so a stale If-Match fails),
/// write history by the `system` actor and reach the workflows.
@Suite struct StoreIntegrityTests {
    func session() async throws -> Session { try await Session.register(on: try await SharedServer.shared.server()) }

    /// Polls until `condition` holds (workflows run after commit), up to 10 s.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A script that logs every update of `entity` it hears, with the changed fields.
    func watch(_ s: Session, _ entity: String) async throws {
        let source = """
            return { on = { ["\(entity).afterUpdate"] = function(event, crm)
              local changed = {}
              for name in pairs(event.changed) do changed[#changed + 1] = name end
              table.sort(changed)
              crm.log(event.actor.type, event.actor.id, table.concat(changed, ","))
            end } }
            """
        #expect(try await s.send(.PUT, "/scripts/watch-\(entity)", ["source": .string(source)]).status == 201)
    }

    func heard(_ s: Session, _ entity: String, _ line: String) async throws -> Bool {
        try await eventually {
            let runs = try await s.get("/scripts/watch-\(entity)/runs").json?["data"]?.arrayValue ?? []
            return runs.contains { run in (run["logs"]?.arrayValue ?? []).contains { $0.stringValue == line } }
        }
    }

    func lastHistory(_ s: Session, _ path: String) async throws -> JSONValue? {
        try await s.get("\(path)/history").json?["data"]?.arrayValue?.first
    }

    @Test func aStageKindChangeMovesItsDealsStatusThroughTheStore() async throws {
        let s = try await session()
        try await watch(s, "deals")
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        let pipelineID = try #require(pipeline["id"]?.stringValue)
        let stages = pipeline["stages"]?.arrayValue ?? []
        let proposal = try #require(stages.first { $0["name"] == "Proposal" }?["id"]?.stringValue)
        let created = try await s.send(.POST, "/deals", ["name": "Big one", "amount": 1000, "stageId": .string(proposal)])
        #expect(created.status == 201)
        let deal = try #require(created.json?["id"]?.stringValue)
        #expect(created.header("ETag") == "\"1\"")

        // The admin makes "Proposal" a won stage.
        let edited = stages.map { stage -> JSONValue in
            guard case .object(var fields) = stage else { return stage }
            if stage["id"]?.stringValue == proposal { fields["kind"] = "won" }
            return .object(fields.filter { ["id", "name", "probability", "kind"].contains($0.key) })
        }
        #expect(try await s.send(.PATCH, "/pipelines/\(pipelineID)", ["stages": .array(edited)]).status == 200)

        let after = try await s.get("/deals/\(deal)")
        #expect(after.json?["status"] == "won")
        #expect(after.json?["version"] == 2)
        #expect(after.header("ETag") == "\"2\"")
        #expect(try await s.send(.PATCH, "/deals/\(deal)", ["name": "Stale"], headers: ["If-Match": "\"1\""]).status == 412)
        let entry = try await lastHistory(s, "/deals/\(deal)")
        #expect(entry?["actor"]?["type"] == "system")
        #expect(entry?["actor"]?["id"] == "stage.kindChanged")
        #expect(entry?["changes"]?["status"] == ["from": "open", "to": "won"])
        #expect(try await heard(s, "deals", "system stage.kindChanged status"))
    }

    @Test func deletingATagChangesEachTaggedRecordThroughTheStore() async throws {
        let s = try await session()
        try await watch(s, "contacts")
        let tagged = try await s.send(.POST, "/contacts", ["lastName": "Tagged", "tags": ["vip", "keep"]])
        let gone = try await s.send(.POST, "/contacts", ["lastName": "Gone", "tags": ["vip"]])
        let untouched = try await s.send(.POST, "/contacts", ["lastName": "Plain", "tags": ["keep"]])
        let taggedID = try #require(tagged.json?["id"]?.stringValue)
        let goneID = try #require(gone.json?["id"]?.stringValue)
        #expect(try await s.send(.DELETE, "/contacts/\(goneID)").status == 204)
        let tags = try await s.get("/tags").json?["data"]?.arrayValue ?? []
        let vip = try #require(tags.first { $0["name"] == "vip" }?["id"]?.stringValue)

        #expect(try await s.send(.DELETE, "/tags/\(vip)").status == 204)
        let after = try await s.get("/contacts/\(taggedID)")
        #expect(after.json?["tags"] == ["keep"])
        #expect(after.header("ETag") == "\"2\"")
        #expect(try await s.send(.PATCH, "/contacts/\(taggedID)", ["title": "x"], headers: ["If-Match": "\"1\""]).status == 412)
        #expect(try await lastHistory(s, "/contacts/\(taggedID)")?["actor"]?["id"] == "tag.deleted")
        #expect(try await heard(s, "contacts", "system tag.deleted tags"))
        // A deleted record loses the tag too, so restoring it brings back no dangling name.
        let restored = try await s.send(.POST, "/contacts/\(goneID)/restore")
        #expect(restored.json?["tags"] == [])
        // A record without the tag is not written.
        let plainID = try #require(untouched.json?["id"]?.stringValue)
        #expect(try await s.get("/contacts/\(plainID)").header("ETag") == "\"1\"")
    }

    @Test func aCustomFieldTypeChangeRewritesValuesThroughTheStore() async throws {
        let s = try await session()
        try await watch(s, "companies")
        let field = try await s.send(.POST, "/custom-fields", ["entity": "companies", "key": "size", "type": "text"])
        let fieldID = try #require(field.json?["id"]?.stringValue)
        let company = try await s.send(.POST, "/companies", ["name": "Acme", "custom": ["size": "42"]])
        let id = try #require(company.json?["id"]?.stringValue)
        #expect(company.json?["custom"]?["size"] == "42")

        #expect(try await s.send(.PATCH, "/custom-fields/\(fieldID)", ["type": "integer"]).status == 200)
        let after = try await s.get("/companies/\(id)")
        #expect(after.json?["custom"]?["size"] == 42)
        #expect(after.header("ETag") == "\"2\"")
        #expect(try await s.send(.PATCH, "/companies/\(id)", ["name": "Stale"], headers: ["If-Match": "\"1\""]).status == 412)
        let entry = try await lastHistory(s, "/companies/\(id)")
        #expect(entry?["actor"]?["id"] == "customField.converted")
        #expect(entry?["changes"]?["custom.size"] == ["from": "42", "to": 42])
        #expect(try await heard(s, "companies", "system customField.converted custom.size"))

        // Deleting the field hides its values: through the store as well.
        #expect(try await s.send(.DELETE, "/custom-fields/\(fieldID)").status == 204)
        let hidden = try await s.get("/companies/\(id)")
        #expect(hidden.json?["custom"] == [:])
        #expect(hidden.header("ETag") == "\"3\"")
    }
}
