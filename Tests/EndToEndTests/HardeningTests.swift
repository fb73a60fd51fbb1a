import Foundation
import Kernel
import TestSupport
import Testing

/// Auth hardening and bad input (issue: trust): what an attacker tries first.
@Suite struct HardeningTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    @Test func theAuthLimitCountsEverySpellingOfThePath() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: ["RATE_LIMIT_AUTH": "20"])
        try await server.waitUntilReady()
        let spellings = ["/api/v1/auth/login", "/api/v1//auth/login", "/api/v1/auth//login", "//api/v1/auth/login", "/api/v1/auth/login/"]
        var statuses: [Int] = []
        let started = ContinuousClock.now
        for attempt in 0..<30 {
            let url = server.baseURL + spellings[attempt % spellings.count]
            statuses.append(try await HTTP.json(.POST, url, ["email": "nobody@example.com", "password": "wrong-password"]).status)
        }
        // Every spelling reaches the login route and counts against one bucket: 20 answers, then
        // 429s — plus one more for every 3 s the loop took (the bucket refills continuously).
        let refilled = Int((ContinuousClock.now - started).components.seconds / 3) + 1
        #expect(statuses.prefix(20).allSatisfy { $0 == 401 }, "\(statuses)")
        #expect(statuses.filter { $0 == 401 }.count <= 20 + refilled, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count >= 10 - refilled, "\(statuses)")
        try await server.stop()
    }

    /// Behind a trusted proxy each client has its own login budget; a direct client cannot
    /// escape its budget by sending `X-Forwarded-For`.
    @Test func loginLimitsFollowTheForwardedClientOnlyBehindTrustedProxies() async throws {
        func statuses(_ server: ServerProcess, forwardedFor: String) async throws -> [Int] {
            var answers: [Int] = []
            for _ in 0..<4 {
                answers.append(try await HTTP.json(
                    .POST, server.baseURL + "/api/v1/auth/login", ["email": "nobody@example.com", "password": "wrong-password"],
                    headers: ["X-Forwarded-For": forwardedFor]).status)
            }
            return answers
        }
        let database = try await TestDatabase.create()
        let proxied = try await ServerProcess.serve(
            databaseURL: database.appURLString, extraEnvironment: ["RATE_LIMIT_AUTH": "3", "TRUSTED_PROXIES": "127.0.0.0/8, ::1"])
        try await proxied.waitUntilReady()
        #expect(try await statuses(proxied, forwardedFor: "198.51.100.1") == [401, 401, 401, 429])
        #expect(try await statuses(proxied, forwardedFor: "198.51.100.2") == [401, 401, 401, 429], "another client, another budget")
        try await proxied.stop()

        let direct = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: ["RATE_LIMIT_AUTH": "3"])
        try await direct.waitUntilReady()
        #expect(try await statuses(direct, forwardedFor: "198.51.100.1") == [401, 401, 401, 429])
        #expect(try await statuses(direct, forwardedFor: "198.51.100.2") == [429, 429, 429, 429], "the header is not trusted")
        try await direct.stop()
    }

    @Test func concurrentRefreshesWithOneTokenLeaveNoLiveToken() async throws {
        let server = try await server()
        let url = server.baseURL + "/api/v1/auth/refresh"
        for _ in 0..<8 {
            let session = try await Session.register(on: server)
            async let first = HTTP.json(.POST, url, ["refreshToken": .string(session.refreshToken)])
            async let second = HTTP.json(.POST, url, ["refreshToken": .string(session.refreshToken)])
            let answers = try await [first, second]
            let winners = answers.filter { $0.status == 200 }
            #expect(winners.count <= 1)
            #expect(answers.allSatisfy { $0.status == 200 || $0.status == 401 }, "\(answers.map { "\($0.status) \($0.text)" })")
            // When one was refused, it was a reuse, so the whole login — the rotated token
            // included — is dead, whichever request reached the database first.
            if answers.contains(where: { $0.status == 401 }), let winner = winners.first {
                let rotated = try #require(winner.json?["refreshToken"]?.stringValue)
                #expect(try await HTTP.json(.POST, url, ["refreshToken": .string(rotated)]).status == 401)
            }
        }
    }

    @Test func tokenAnswersAreNotStored() async throws {
        let server = try await server()
        let email = "nostore-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let register = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/register",
                                           ["email": .string(email), "password": "correct horse 1", "name": "N"])
        #expect(register.header("Cache-Control") == "no-store")
        let login = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/login", ["email": .string(email), "password": "correct horse 1"])
        #expect(login.header("Cache-Control") == "no-store")
        let refresh = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/refresh",
                                          ["refreshToken": .string(login.json?["refreshToken"]?.stringValue ?? "")])
        #expect(refresh.header("Cache-Control") == "no-store")
        let token = refresh.json?["accessToken"]?.stringValue ?? ""
        let auth = ["Authorization": "Bearer \(token)"]
        let switched = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/switch",
                                           ["organizationId": .string(register.json?["organization"]?["id"]?.stringValue ?? "")], headers: auth)
        #expect(switched.status == 200)
        #expect(switched.header("Cache-Control") == "no-store")
        let key = try await HTTP.json(.POST, server.baseURL + "/api/v1/api-keys", ["name": "ci", "role": "member"], headers: auth)
        #expect(key.status == 201)
        #expect(key.header("Cache-Control") == "no-store")
    }

    @Test func aSuperuserDatabaseRoleIsRefusedAtStart() async throws {
        let superuser = try #require(ProcessInfo.processInfo.environment["TEST_DATABASE_URL"])
        let process = try ServerProcess(arguments: ["serve"], environment: ["DATABASE_URL": superuser, "PORT": "0"], directory: NSTemporaryDirectory())
        let status = try await process.waitForExit()
        #expect(status != 0)
        let lines = process.output.split(separator: "\n").filter { $0.hasPrefix("crm:") }
        #expect(lines.count == 1, "\(process.output)")
        #expect(lines.first?.contains("superuser") == true, "\(process.output)")
    }

    @Test func aBypassRLSRoleIsRefusedAtStart() async throws {
        let database = try await TestDatabase.create()
        try await database.withAdmin { client in
            try await client.query("ALTER ROLE \(unescaped: database.appURL.username) BYPASSRLS", logger: TestDatabase.logger)
        }
        let process = try ServerProcess(
            arguments: ["serve"], environment: ["DATABASE_URL": database.appURLString, "PORT": "0"], directory: NSTemporaryDirectory())
        let status = try await process.waitForExit()
        #expect(status != 0)
        #expect(process.output.contains("BYPASSRLS"), "\(process.output)")
    }

    @Test func productionWarnsWhenPostgreSQLDoesNotMakeWritesDurable() async throws {
        // The test cluster runs with fsync and synchronous_commit off (for speed).
        let database = try await TestDatabase.create()
        let secret = String(repeating: "p", count: 40)
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: [
            "CRM_ENV": "production", "JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret, "LOG_FORMAT": "text",
        ])
        try await server.waitUntilReady()
        #expect(server.output.contains("fsync=off"), "\(server.output.suffix(2000))")
        #expect(server.output.contains("synchronous_commit=off"))
        try await server.stop()
        // Development stays quiet about it.
        let quiet = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await quiet.waitUntilReady()
        #expect(!quiet.output.contains("fsync=off"))
        try await quiet.stop()
    }

    // MARK: Bad input is a 4xx, never a 500

    @Test func forgedEditedAndForeignCursorsAre400() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        for index in 0..<3 {
            _ = try await session.send(.POST, "/contacts", ["firstName": .string("C\(index)"), "lastName": .string("L\(index)")])
        }
        // The cursor of the issue: not made by the server.
        let forged = try await session.get("/contacts?cursor=WyJ4IiwieCJd")
        #expect(forged.status == 400)
        #expect(forged.json?["code"] == "bad_request")

        let page = try await session.get("/contacts?limit=1&sort=lastName")
        let cursor = try #require(page.json?["nextCursor"]?.stringValue)
        #expect(try await session.get("/contacts?limit=1&sort=lastName&cursor=\(cursor)").status == 200)
        #expect(try await session.get("/contacts?limit=2&sort=lastName&cursor=\(cursor)").status == 200)
        // Issued for another sort, filter or q; or for another entity.
        #expect(try await session.get("/contacts?limit=1&cursor=\(cursor)").status == 400)
        #expect(try await session.get("/contacts?limit=1&sort=-lastName&cursor=\(cursor)").status == 400)
        #expect(try await session.get("/contacts?limit=1&sort=lastName&q=c&cursor=\(cursor)").status == 400)
        #expect(try await session.get("/contacts?limit=1&sort=lastName&filter[firstName]=C1&cursor=\(cursor)").status == 400)
        #expect(try await session.get("/companies?limit=1&sort=name&cursor=\(cursor)").status == 400)
        // Edited values with the old tag.
        let parts = cursor.split(separator: ".")
        let edited = Base64URL.encode(Data(#"["zzz","00000000-0000-0000-0000-000000000000"]"#.utf8)) + "." + parts[1]
        #expect(try await session.get("/contacts?limit=1&sort=lastName&cursor=\(edited)").status == 400)
    }

    @Test func textWithNULOrUnpairedSurrogatesIsAFieldError() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        func raw(_ method: HTTPMethodName, _ path: String, _ body: String) async throws -> HTTP.Response {
            try await HTTP.request(method.nio, session.api + path, headers: session.auth, body: Data(body.utf8))
        }
        let cases: [(String, String, String)] = [
            ("/tags", #"{"name":"a\u0000b"}"#, "name"),
            ("/contacts", #"{"firstName":"Ada\ud800","lastName":"L"}"#, "firstName"),
            ("/contacts", #"{"firstName":"Ada","lastName":"L","custom":{"note":"x\udc00y"}}"#, "custom.note"),
            ("/contacts", #"{"firstName":"Ada","lastName":"L","custom":{"note":"\ud800\u0041"}}"#, "custom.note"),
            ("/contacts", #"{"firstName":"Ada","lastName":"L","tags":["ok","b\u0000"]}"#, "tags.1"),
            ("/contacts", #"{"firstName":"Ada","lastName":"L","a\u0000":1}"#, "a\u{FFFD}"),
            ("/companies", #"{"name":"\ud83d"}"#, "name"),
        ]
        for (path, body, field) in cases {
            let response = try await raw(.POST, path, body)
            #expect(response.status == 422, "\(path) \(body): \(response.text)")
            #expect(response.json?["errors"]?.arrayValue?.first?["field"] == .string(field), "\(body): \(response.text)")
        }
        // A pair is fine; broken JSON stays a 400.
        #expect(try await raw(.POST, "/tags", #"{"name":"smile \ud83d\ude00"}"#).status == 201)
        #expect(try await raw(.POST, "/tags", #"{"name":"a\u0000b""#).status == 400)
        // The same in a login and a registration: 422, not a database error.
        let login = try await HTTP.request(.POST, session.api + "/auth/login", body: Data(#"{"email":"a\u0000@example.com","password":"x"}"#.utf8))
        #expect(login.status == 422)
        let register = try await HTTP.request(
            .POST, session.api + "/auth/register", body: Data(#"{"email":"n@example.com","password":"long enough","name":"\udfff"}"#.utf8))
        #expect(register.status == 422)
    }

    @Test func queryParametersWithNULOrNonUTF8Are400() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        // Brackets escaped: the test's HTTP client would otherwise re-escape the whole query.
        for query in ["q=a%00b", "filter%5BfirstName%5D=%00", "filter%5BfirstName%5D%5Bcontains%5D=%ED%A0%80", "sort=lastName%00",
                      "cursor=%00", "filter%00=1", "limit=1%00", "q=%FF%FE"] {
            let response = try await session.get("/contacts?\(query)")
            #expect(response.status == 400, "\(query): \(response.status) \(response.text)")
        }
        #expect(try await session.get("/search?q=%00").status == 400)
        #expect(try await session.get("/contacts?q=%E2%82%AC").status == 200)
    }

    /// What the fault review found answering 5xx or accepting what the document forbids.
    @Test func reviewedFaultsAnswerAsDocumented() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        // An undeclared method: 405 with the path's methods, before any credential check.
        let trace = try await HTTP.request(.TRACE, session.api + "/contacts", headers: ["Authorization": "Bearer not-a-token"])
        #expect(trace.status == 405)
        #expect(trace.json?["code"] == "method_not_allowed")
        #expect(trace.header("Allow") == "GET, POST, HEAD")
        let literal = try await HTTP.request(.PUT, session.api + "/invitations/accept", headers: session.auth)
        #expect(literal.header("Allow") == "POST", "a literal segment wins over /invitations/:id")
        #expect(try await HTTP.request(.GET, session.api + "/no-such-thing", headers: session.auth).status == 404)
        // null where a typed body has no null.
        #expect(try await session.send(.PUT, "/plugins/activities", ["enabled": .null]).status == 422)
        let nullConfig = try await session.send(.PUT, "/plugins/activities", ["enabled": true, "config": .null])
        #expect(nullConfig.status == 422)
        #expect(nullConfig.json?["errors"]?.arrayValue?.first?["field"] == "config")
        // A script saved, deleted and saved again under its name (versions went with it).
        for _ in 0..<2 {
            #expect(try await session.send(.PUT, "/scripts/again", ["source": "return {}"]).status == 201)
            #expect(try await session.send(.DELETE, "/scripts/again").status == 204)
        }
        // A required field cannot be cleared; a stage position must be a number.
        let activity = try await session.send(.POST, "/activities", ["type": "task", "subject": "Call"])
        let activityID = try #require(activity.json?["id"]?.stringValue)
        let cleared = try await session.send(.PATCH, "/activities/\(activityID)", ["type": .null], headers: ["If-Match": "\"9\""])
        #expect(cleared.status == 422, "validation comes before the precondition")
        let pipeline = try #require(try await session.get("/pipelines").json?["data"]?.arrayValue?.first?["id"]?.stringValue)
        #expect(try await session.send(.PATCH, "/pipelines/\(pipeline)", ["stages": [["name": "A", "position": ["x": 1]]]]).status == 422)
        #expect(try await session.send(.PATCH, "/pipelines/\(pipeline)", ["stages": [["name": "A", "kind": ["x": 1]]]]).status == 422)
        #expect(try await session.get("/contacts?sort=").status == 400)
        #expect(try await session.get("/search?q=%0C").status == 400)
    }

    /// Property: whatever a client puts in the list parameters, the answer is a 200 or a 4xx.
    @Test func listParametersNeverAnswer5xx() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let fieldDefinition: JSONValue = ["entity": "contacts", "key": "tier", "label": "Tier", "type": "number"]
        #expect(try await session.send(.POST, "/custom-fields", fieldDefinition).status == 201)
        for index in 0..<4 {
            _ = try await session.send(.POST, "/contacts", [
                "firstName": .string("F\(index)"), "lastName": .string("L\(index)"), "email": .string("f\(index)@example.com"),
                "custom": ["tier": .int(Int64(index))],
            ])
        }
        var generator = SeededGenerator(seed: 20261130)
        let fields = ["firstName", "lastName", "email", "createdAt", "updatedAt", "id", "companyId", "custom.tier", "custom.nope",
                      "tags", "version", "", "x]", "firstName][eq", "phone", "title"]
        let ops = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "startsWith", "isNull", "like", "", "EQ"]
        let values = ["", "a", "A%25", "%", "_", "\\", "'", "\"", "1", "-1", "1e309", "99999999999999999999", "0.5", "NaN", "true",
                      "null", "2026-11-30", "2026-13-45T99:00:00Z", "00000000-0000-0000-0000-000000000000", "a,b,,c",
                      String(repeating: "x", count: 300), "%E2%82%AC", "%F0%9F%98%80", "[1]", "{\"a\":1}", "%2C", "%26", "%3D"]
        let sorts = ["lastName", "-createdAt", "custom.tier", "-custom.tier", "id", "tags", "nope", "", ",", "-", "--lastName",
                     "lastName,lastName", "email,-id"]
        let cursors = ["WyJ4IiwieCJd", "", ".", "a.b", "WyJ4Il0.AAAAAAAAAAAAAAAAAAAAAA", String(repeating: "A", count: 5000), "%ZZ"]
        let limits = ["0", "1", "25", "100", "101", "-1", "abc", "1.5", ""]
        var failures: [String] = []
        for _ in 0..<250 {
            var parameters: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let field = fields.randomElement(using: &generator)!
                let op = ops.randomElement(using: &generator)!
                let key = Bool.random(using: &generator) ? "filter[\(field)]" : "filter[\(field)][\(op)]"
                parameters.append("\(key)=\(values.randomElement(using: &generator)!)")
            }
            if Bool.random(using: &generator) { parameters.append("sort=\(sorts.randomElement(using: &generator)!)") }
            if Bool.random(using: &generator) { parameters.append("q=\(values.randomElement(using: &generator)!)") }
            if Bool.random(using: &generator) { parameters.append("limit=\(limits.randomElement(using: &generator)!)") }
            if Int.random(in: 0..<4, using: &generator) == 0 { parameters.append("cursor=\(cursors.randomElement(using: &generator)!)") }
            if Int.random(in: 0..<8, using: &generator) == 0 { parameters.append("includeTotal=\(Bool.random(using: &generator))") }
            let entity = ["contacts", "companies", "deals", "activities"].randomElement(using: &generator)!
            let query = parameters.joined(separator: "&").addingPercentEncoding(withAllowedCharacters: .urlQueryAllowedKeepingEscapes) ?? ""
            let response = try await session.get("/\(entity)?\(query)")
            if response.status >= 500 || !(response.status == 200 || (400..<500).contains(response.status)) {
                failures.append("\(entity)?\(query) → \(response.status) \(response.text.prefix(200))")
            }
            // A page's own cursor always works for the same list.
            if response.status == 200, let next = response.json?["nextCursor"]?.stringValue {
                let again = try await session.get("/\(entity)?\(query)&cursor=\(next)")
                if again.status != 200 && !query.contains("cursor=") { failures.append("own cursor refused: \(entity)?\(query)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

/// A small deterministic generator (SplitMix64), so a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension CharacterSet {
    /// The query characters a URL may carry as they are, `%` included: the generated values
    /// hold escapes of their own (`%00`, `%E2%82%AC`) that must reach the server as sent.
    static let urlQueryAllowedKeepingEscapes: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.insert("%")
        set.remove("+")
        return set
    }()
}
