import Foundation
import Kernel
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Two `crm` processes on one database, as behind a load balancer.
@Suite struct MultiProcessTests {
    @Test func tenantChangesReachTheOtherProcess() async throws {
        let database = try await TestDatabase.create()
        let secret = String(repeating: "m", count: 40)
        let environment = ["JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret]
        let a = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        try await a.waitUntilReady()
        let b = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        try await b.waitUntilReady()
        let onA = try await Session.register(on: a)
        let onB = onA.on(b)

        // B caches the tenant's plugins, then A disables one: B must stop serving it.
        #expect(try await onB.get("/activities").status == 200)
        #expect(try await onA.send(.PUT, "/plugins/activities", ["enabled": false]).status == 200)
        var answer = 0
        for _ in 0..<50 {
            answer = try await onB.get("/activities").status
            if answer == 404 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer == 404)

        // A script uploaded through A acts on B's next writes.
        #expect(try await onB.send(.POST, "/contacts", ["lastName": "Nope"]).status == 201)
        let script = "return { on = { ['contacts.beforeSave'] = function(event) if event.record.lastName == 'Nope' then event:reject('lastName', 'no') end end } }"
        #expect(try await onA.send(.PUT, "/scripts/guard", ["source": .string(script)]).status == 201)
        var rejected = false
        for _ in 0..<50 where !rejected {
            rejected = try await onB.send(.POST, "/contacts", ["lastName": "Nope"]).status == 422
            if !rejected { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(rejected)
        try await a.stop()
        try await b.stop()
    }

    /// Polls `check` every 20 ms until it holds (up to `limit`); returns how long it took.
    func timeUntil(_ limit: Duration = .seconds(3), _ check: () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await check() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Two processes started at the same moment on an empty database (as a deploy that scales
    /// out does): the migrations run once, under the advisory lock, and both serve. Then a
    /// custom field and a role change made through one are in force on the other at once
    /// (the latencies are printed; the deadline is generous for a loaded CI machine), and the
    /// workflow jobs that both processes' workers poll for run exactly once.
    @Test func twoProcessesStartTogetherShareChangesAndRunEachJobOnce() async throws {
        let database = try await TestDatabase.create()
        let secret = String(repeating: "n", count: 40)
        let environment = ["JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret, "DATABASE_POOL_SIZE": "4"]
        async let startA = ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        async let startB = ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        let (a, b) = try await (startA, startB)
        try await a.waitUntilReady()
        try await b.waitUntilReady()
        let migrations = try await database.withAdmin { client in
            try await client.withConnection { connection -> (Int, Int) in
                let rows = try await connection.query(
                    "SELECT count(*)::int, count(DISTINCT (owner, id))::int FROM schema_migrations", logger: TestDatabase.logger)
                for try await counts in rows.decode((Int, Int).self) { return counts }
                return (0, 0)
            }
        }
        #expect(migrations.0 > 10 && migrations.0 == migrations.1, "\(migrations)")
        let appliedLines = (a.output + b.output).components(separatedBy: "applied migration").count - 1
        #expect(appliedLines == migrations.0, "each migration applied by exactly one process")

        let owner = try await Session.register(on: a)
        let ownerOnB = owner.on(b)
        // A custom field defined through A: B accepts a value for it (and refused it before).
        #expect(try await ownerOnB.send(.POST, "/contacts", ["lastName": "Early", "custom": ["tier": "gold"]]).status == 422)
        #expect(try await owner.send(.POST, "/custom-fields", [
            "entity": "contacts", "key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"],
        ]).status == 201)
        let fieldLatency = try await timeUntil {
            try await ownerOnB.send(.POST, "/contacts", ["lastName": "Late", "custom": ["tier": "gold"]]).status == 201
        }
        #expect(fieldLatency != nil)

        // A member demoted to viewer through A can no longer write through B.
        let member = try await Session.register(on: a)
        try await owner.addMember(member, role: "member")
        let memberOnB = try await owner.loginAs(member).on(b)
        #expect(try await memberOnB.send(.POST, "/contacts", ["lastName": "Allowed"]).status == 201)
        #expect(try await owner.send(.PATCH, "/members/\(member.userID)", ["role": "viewer"]).status == 200)
        let roleLatency = try await timeUntil {
            try await memberOnB.send(.POST, "/contacts", ["lastName": "Refused"]).status == 403
        }
        #expect(roleLatency != nil)
        print("MultiProcess: custom field in force on the other process after \(fieldLatency ?? .zero), role change after \(roleLatency ?? .zero)")

        // Deals won through both processes: one follow-up call each, whichever worker took it.
        #expect(try await owner.send(.PUT, "/plugins/deal-won-followup", ["enabled": true]).status == 200)
        let pipeline = try #require(try await owner.get("/pipelines").json?["data"]?.arrayValue?.first)
        let won = try #require(pipeline["stages"]?.arrayValue?.first { $0["kind"] == "won" }?["id"])
        var deals: [String] = []
        for index in 0..<8 {
            let through = index.isMultiple(of: 2) ? owner : ownerOnB
            let deal = try #require(try await through.send(.POST, "/deals", ["name": .string("Deal \(index)")]).json?["id"]?.stringValue)
            #expect(try await through.send(.POST, "/deals/\(deal)/move", ["stageId": won]).status == 200)
            deals.append(deal)
        }
        func calls() async throws -> [String: Int] {
            let listed = try await owner.get("/activities?limit=100").json?["data"]?.arrayValue ?? []
            var perDeal: [String: Int] = [:]
            for activity in listed { if let deal = activity["dealId"]?.stringValue { perDeal[deal, default: 0] += 1 } }
            return perDeal
        }
        let allDone = try await timeUntil(.seconds(30)) { try await calls().count == deals.count }
        #expect(allDone != nil)
        try await Task.sleep(for: .seconds(1))  // a duplicate would have had time to appear
        #expect(try await calls() == Dictionary(uniqueKeysWithValues: deals.map { ($0, 1) }))
        try await a.stop()
        try await b.stop()
    }

    @Test func sigtermLetsAnInFlightRequestFinish() async throws {
        let database = try await TestDatabase.create()
        // A before-handler that spins until its (raised) time limit: a request that takes ~1.5 s.
        let server = try await ServerProcess.serve(
            databaseURL: database.appURLString,
            extraEnvironment: ["LUA_BEFORE_TIME_MS": "1500", "LUA_BEFORE_INSTRUCTIONS": "1000000000"])
        try await server.waitUntilReady()
        let session = try await Session.register(on: server)
        #expect(try await session.send(.PUT, "/scripts/slow", ["source": "return { on = { ['contacts.beforeSave'] = function() while true do end end } }"]).status == 201)
        async let slow = session.send(.POST, "/contacts", ["firstName": "x"])
        try await Task.sleep(for: .milliseconds(400))
        server.signal(SIGTERM)
        let response = try await slow
        #expect(response.status == 422, "the in-flight request was answered")
        #expect(response.json?["detail"]?.stringValue?.contains("time limit exceeded") == true)
        #expect(try await server.waitForExit() == 0)
    }
}
