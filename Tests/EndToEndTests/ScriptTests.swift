import Foundation
import Kernel
import Testing
import TestSupport

/// Tenant scripts through the API, as an integrator uses them.
@Suite struct ScriptTests {
    /// A server with fast workflow retries (the backoff shape is the same, scaled down).
    static let server = SharedServer(environment: ["WORKFLOW_RETRY_BASE_MS": "50"])

    func session() async throws -> Session { try await Session.register(on: try await Self.server.server()) }

    func put(_ s: Session, _ name: String, _ source: String) async throws -> HTTP.Response {
        try await s.send(.PUT, "/scripts/\(name)", ["source": .string(source)])
    }

    /// Polls until `condition` holds (workflows run after commit), up to 10 s.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func aValidationScriptActsOnTheNextRequest() async throws {
        let s = try await session()
        let saved = try await put(s, "contact-rules", """
            return {
              description = "Company emails only",
              on = {
                ["contacts.beforeSave"] = function(event, crm)
                  local r = event.record
                  if r.email and r.email:find("@gmail.com", 1, true) then
                    event:reject("email", "use a company address")
                  end
                  r.title = r.title or "Unknown"
                  crm.log("checked", r.email)
                end,
              },
            }
            """)
        #expect(saved.status == 201)
        #expect(saved.json?["version"] == 1)
        #expect(saved.json?["triggers"] == ["contacts.beforeSave"])
        let rejected = try await s.send(.POST, "/contacts", ["email": "joe@gmail.com"])
        #expect(rejected.status == 422)
        #expect(rejected.json?["errors"]?.arrayValue?.first == ["field": "email", "code": "rejected", "message": "use a company address"])
        let accepted = try await s.send(.POST, "/contacts", ["email": "joe@acme.com"])
        #expect(accepted.status == 201)
        #expect(accepted.json?["title"] == "Unknown")
        let runs = try await s.get("/scripts/contact-rules/runs")
        let outcomes = runs.json?["data"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue } ?? []
        #expect(outcomes == ["ok", "rejected"])
        #expect(runs.json?["data"]?.arrayValue?.first?["logs"] == ["checked joe@acme.com"])

        // Another tenant is untouched by this tenant's script.
        let other = try await session()
        #expect(try await other.send(.POST, "/contacts", ["email": "joe@gmail.com"]).status == 201)
    }

    @Test func aScriptThatDoesNotCompileIsNotSaved() async throws {
        let s = try await session()
        let broken = try await put(s, "broken", "return {\n  on = {\n    ['contacts.beforeSave'] = function(event, crm\n  }\n}")
        #expect(broken.status == 422)
        #expect(broken.json?["code"] == "script_error")
        #expect(broken.json?["script"] == "broken")
        #expect(broken.json?["event"] == .null)
        #expect(broken.json?["line"]?.doubleValue != nil)
        #expect(try await s.get("/scripts/broken").status == 404)
        #expect(try await put(s, "Bad_Name", "return {}").status == 404)
        #expect(try await put(s, "not-a-table", "return 1").status == 422)
    }

    @Test func aFailingBeforeHandlerIsAScriptErrorNamingScriptEventAndLine() async throws {
        let s = try await session()
        #expect(try await put(s, "buggy", "return { on = { ['companies.beforeCreate'] = function(event, crm)\n  local x = nil\n  return x.field\nend } }").status == 201)
        let response = try await s.send(.POST, "/companies", ["name": "Acme"])
        #expect(response.status == 422)
        #expect(response.json?["code"] == "script_error")
        #expect(response.json?["script"] == "buggy")
        #expect(response.json?["event"] == "companies.beforeCreate")
        #expect(response.json?["line"] == 3)
        let detail = response.json?["detail"]?.stringValue ?? ""
        #expect(detail.contains("buggy") && detail.contains("companies.beforeCreate") && detail.contains("line 3"))
        #expect(try await s.get("/companies").json?["data"]?.arrayValue?.isEmpty == true)
    }

    @Test func aStageWonWorkflowSchedulesAFollowUpCall() async throws {
        let s = try await session()
        #expect(try await put(s, "won-followup", """
            return {
              on = {
                ["deals.stageChanged"] = function(event, crm)
                  if event.record.status == "won" then
                    crm.create("activities", {
                      type = "call", subject = "Thank-you call: " .. event.record.name,
                      dealId = event.record.id, dueAt = crm.time.addDays(crm.time.now(), 2),
                    })
                  end
                end,
              },
            }
            """).status == 201)
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        let won = try #require(pipeline["stages"]?.arrayValue?.first { $0["kind"] == "won" }?["id"])
        let deal = try #require(try await s.send(.POST, "/deals", ["name": "Big one"]).json?["id"]?.stringValue)
        #expect(try await s.send(.POST, "/deals/\(deal)/move", ["stageId": won]).status == 200)
        let created = try await eventually {
            let activities = try await s.get("/activities?filter[dealId]=\(deal)")
            return activities.json?["data"]?.arrayValue?.first?["subject"] == "Thank-you call: Big one"
        }
        #expect(created)
        // The job is marked done just after its writes commit.
        let done = try await eventually {
            try await s.get("/workflow-jobs?status=done").json?["data"]?.arrayValue?.first?["event"] == "deals.stageChanged"
        }
        #expect(done)
    }

    @Test func failingJobsRetryThenFailAndCanBeRetried() async throws {
        let s = try await session()
        #expect(try await put(s, "always-fails", "return { on = { ['companies.afterCreate'] = function(event, crm) error('downstream is down') end } }").status == 201)
        #expect(try await s.send(.POST, "/companies", ["name": "Acme"]).status == 201)
        var failedJob: JSONValue?
        let failed = try await eventually {
            failedJob = try await s.get("/workflow-jobs?status=failed").json?["data"]?.arrayValue?.first
            return failedJob != nil
        }
        #expect(failed)
        #expect(failedJob?["attempts"] == 5)
        #expect(failedJob?["lastError"]?.stringValue?.contains("downstream is down") == true)
        let id = try #require(failedJob?["id"]?.stringValue)
        let retried = try await s.send(.POST, "/workflow-jobs/\(id)/retry")
        #expect(retried.status == 202)
        #expect(retried.json?["attempts"] == 0)
        #expect(retried.json?["status"] == "pending")
        let other = try await session()
        #expect(try await other.send(.POST, "/workflow-jobs/\(id)/retry").status == 404)
        #expect(try await other.get("/workflow-jobs").json?["data"]?.arrayValue?.isEmpty == true)
    }

    @Test func aWorkflowChainStopsAtDepthFive() async throws {
        let s = try await session()
        #expect(try await put(s, "echo", """
            return { on = { ["companies.afterCreate"] = function(event, crm)
              crm.create("companies", { name = event.record.name .. "+" })
            end } }
            """).status == 201)
        #expect(try await s.send(.POST, "/companies", ["name": "c"]).status == 201)
        let stopped = try await eventually {
            let failed = try await s.get("/workflow-jobs?status=failed").json?["data"]?.arrayValue ?? []
            return failed.contains { $0["lastError"]?.stringValue?.contains("depth") == true }
        }
        #expect(stopped)
        let failed = try await s.get("/workflow-jobs?status=failed").json?["data"]?.arrayValue ?? []
        #expect(failed.first?["attempts"] == 1, "a depth failure is not retried")
        let names = try await s.get("/companies?limit=100").json?["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.sorted() == ["c", "c+", "c++", "c+++", "c++++", "c+++++"])
    }

    @Test func aDryRunReportsWithoutWriting() async throws {
        let s = try await session()
        #expect(try await put(s, "dry", """
            return { on = {
              ["contacts.beforeSave"] = function(event, crm)
                if not event.record.email then event:reject("email", "required") end
                local n = 0
                for i = 1, 2000 do n = n + i end
                crm.log("hello")
              end,
              ["contacts.afterCreate"] = function(event, crm)
                crm.create("companies", { name = "From " .. event.record.firstName })
              end,
            } }
            """).status == 201)
        let before = try await s.send(.POST, "/scripts/dry/test", ["event": "contacts.beforeSave", "record": ["firstName": "Ann"]])
        #expect(before.status == 200)
        #expect(before.json?["outcome"] == "rejected")
        #expect(before.json?["errors"]?.arrayValue?.first?["field"] == "email")
        #expect(before.json?["logs"] == ["hello"])
        // Counted by the instruction hook, to its granularity of 1000.
        #expect((before.json?["instructions"]?.doubleValue ?? 0) >= 1000)
        let after = try await s.send(.POST, "/scripts/dry/test", ["event": "contacts.afterCreate", "record": ["firstName": "Ann", "id": .string(UUID().uuidString)]])
        #expect(after.json?["outcome"] == "ok")
        #expect(after.json?["writes"]?.arrayValue?.first?["op"] == "create")
        #expect(try await s.get("/companies").json?["data"]?.arrayValue?.isEmpty == true)
        #expect(try await s.send(.POST, "/scripts/dry/test", ["event": "deals.afterCreate", "record": [:]]).status == 422)
    }

    @Test func onlyAdminsChangeScriptsAndVersionsGrow() async throws {
        let server = try await Self.server.server()
        let owner = try await Session.register(on: server)
        let member = try await Session.register(on: server)
        try await owner.addMember(member, role: "member")
        let signedIn = try await owner.loginAs(member)
        #expect(try await put(signedIn, "x", "return {}").status == 403)
        #expect(try await put(owner, "x", "return {}").status == 201)
        #expect(try await signedIn.get("/scripts").status == 200)
        let second = try await put(owner, "x", "return { description = 'v2' }")
        #expect(second.status == 200)
        #expect(second.json?["version"] == 2)
        #expect(try await signedIn.send(.DELETE, "/scripts/x").status == 403)
        #expect(try await owner.send(.DELETE, "/scripts/x").status == 204)
        #expect(try await owner.get("/scripts/x").status == 404)
    }

    /// A handler past the first attempt's budget (20,000 instructions, run on the event loop)
    /// is run again in full on the Lua threads: the write gets its result once, and the log of
    /// the abandoned attempt is not kept.
    @Test func aLongerHandlerRunsInFullOnce() async throws {
        let s = try await session()
        #expect(try await put(s, "longer", """
            return { on = { ["contacts.beforeSave"] = function(event, crm)
              crm.log("start")
              local sum = 0
              for i = 1, 100000 do sum = sum + i end
              event.record.title = tostring(sum)
            end } }
            """).status == 201)
        for _ in 0..<2 {
            let created = try await s.send(.POST, "/contacts", ["firstName": "x"])
            #expect(created.status == 201)
            #expect(created.json?["title"] == "5000050000")
        }
        let runs = try await s.get("/scripts/longer/runs")
        #expect(runs.json?["data"]?.arrayValue?.compactMap { $0["logs"] } == [["start"], ["start"]])
    }

    /// PostgreSQL cannot store U+0000: a source, description or event name with one is refused
    /// with 422, never a 500, and nothing is saved.
    @Test func nulBytesInAScriptAreRefused() async throws {
        let s = try await session()
        let source = try await put(s, "nul", "return {} -- \u{0}")
        #expect(source.status == 422)
        #expect(source.json?["errors"]?.arrayValue?.first?["field"] == "source")
        let description = try await put(s, "nul", #"return { description = "a\0b" }"#)
        #expect(description.status == 422)
        #expect(description.json?["code"] == "script_error")
        let trigger = try await put(s, "nul", #"return { on = { ["contacts.before\0Save"] = function() end } }"#)
        #expect(trigger.status == 422)
        #expect(try await s.get("/scripts/nul").status == 404)
    }

    @Test func aRunawayScriptFailsItsRequestAndTheServerKeepsServing() async throws {
        let s = try await session()
        #expect(try await put(s, "spin", "return { on = { ['contacts.beforeSave'] = function() while true do end end } }").status == 201)
        let other = try await session()
        async let spinning = s.send(.POST, "/contacts", ["firstName": "x"])
        let meanwhile = try await other.send(.POST, "/contacts", ["firstName": "y"])
        #expect(meanwhile.status == 201)
        let response = try await spinning
        #expect(response.status == 422)
        // The instruction cap, or the time limit first when the machine is busy (Lua threads
        // run at a lower priority than the event loops).
        let detail = response.json?["detail"]?.stringValue ?? ""
        #expect(detail.contains("instruction limit exceeded") || detail.contains("time limit exceeded"), "\(detail)")
    }
}

/// The bundled Lua plugins, enabled per tenant with configuration.
@Suite struct BundledLuaPluginTests {
    func session() async throws -> Session { try await Session.register(on: try await ScriptTests.server.server()) }

    @Test func theEmailNormalizerCleansAndRejects() async throws {
        let s = try await session()
        let plugins = try await s.get("/plugins")
        let normalizer = plugins.json?["data"]?.arrayValue?.first { $0["id"] == "email-normalizer" }
        #expect(normalizer?["kind"] == "lua")
        #expect(normalizer?["configSchema"]?["rejectFreeMail"]?["default"] == false)
        #expect(try await s.send(.PUT, "/plugins/email-normalizer", ["enabled": true, "config": ["rejectFreeMail": "yes"]]).status == 422)
        let enabled = try await s.send(.PUT, "/plugins/email-normalizer", ["enabled": true, "config": ["rejectFreeMail": true]])
        #expect(enabled.status == 200)
        #expect(enabled.json?["config"] == ["rejectFreeMail": true])
        // The store lower-cases emails too; the plugin rejects free mail on top.
        let free = try await s.send(.POST, "/contacts", ["email": "  Someone@GMAIL.com "])
        #expect(free.status == 422)
        #expect(free.json?["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("gmail.com") == true)
        #expect(try await s.send(.POST, "/contacts", ["email": "ann@acme.com"]).status == 201)
        #expect(try await s.send(.PUT, "/scripts/email-normalizer", ["source": "return {}"]).status == 409)
    }

    @Test func dealWonFollowupSchedulesTheCallAfterDelayDays() async throws {
        let s = try await session()
        #expect(try await s.send(.PUT, "/plugins/deal-won-followup", ["enabled": true, "config": ["delayDays": 3]]).status == 200)
        // Its declared field now exists for this tenant (idempotently: enabling again adds nothing).
        #expect(try await s.send(.PUT, "/plugins/deal-won-followup", ["enabled": true, "config": ["delayDays": 3]]).status == 200)
        let fields = try await s.get("/custom-fields?entity=deals").json?["data"]?.arrayValue ?? []
        #expect(fields.compactMap { $0["key"]?.stringValue } == ["wonReason"])
        #expect(try await s.send(.PUT, "/plugins/deals", ["enabled": false]).status == 409, "deal-won-followup depends on deals")
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        let won = try #require(pipeline["stages"]?.arrayValue?.first { $0["kind"] == "won" }?["id"])
        let deal = try #require(try await s.send(.POST, "/deals", ["name": "Renewal"]).json?["id"]?.stringValue)
        let moved = try await s.send(.POST, "/deals/\(deal)/move", ["stageId": won])
        #expect(moved.status == 200)
        var call: JSONValue?
        for _ in 0..<100 where call == nil {
            call = try await s.get("/activities?filter[dealId]=\(deal)").json?["data"]?.arrayValue?.first
            if call == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(call?["type"] == "call")
        #expect(call?["subject"] == "Thank-you call: Renewal")
        let due = call?["dueAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        let movedAt = moved.json?["updatedAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        if let due, let movedAt {
            #expect(abs(due.timeIntervalSince(movedAt) - 3 * 86_400) < 120)
        } else {
            Issue.record("no due date")
        }
    }

    @Test func wonDealsNeedAmountAndCloseDate() async throws {
        let s = try await session()
        #expect(try await s.send(.PUT, "/plugins/won-deal-requirements", ["enabled": true]).status == 200)
        let pipeline = try #require(try await s.get("/pipelines").json?["data"]?.arrayValue?.first)
        let won = try #require(pipeline["stages"]?.arrayValue?.first { $0["kind"] == "won" }?["id"])
        let deal = try #require(try await s.send(.POST, "/deals", ["name": "Vague"]).json?["id"]?.stringValue)
        let refused = try await s.send(.POST, "/deals/\(deal)/move", ["stageId": won])
        #expect(refused.status == 422)
        let fields = Set(refused.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["amount", "closeDate"])
        #expect(try await s.send(.PATCH, "/deals/\(deal)", ["amount": 10, "closeDate": "2026-12-31"]).status == 200)
        #expect(try await s.send(.POST, "/deals/\(deal)/move", ["stageId": won]).status == 200)
    }
}
