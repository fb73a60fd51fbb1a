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
