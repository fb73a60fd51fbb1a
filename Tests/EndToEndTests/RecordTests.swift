import Foundation
import Kernel
import Testing
import TestSupport

/// API.md's record conventions, on contacts and companies.
@Suite struct RecordTests {
    func session() async throws -> Session { try await Session.register(on: try await SharedServer.shared.server()) }

    @Test func createAnswers201WithLocationETagAndTheRecord() async throws {
        let s = try await session()
        let created = try await s.send(.POST, "/contacts", ["firstName": " Ada ", "email": "ADA@Example.com", "tags": ["vip", "vip", "Lead"]])
        #expect(created.status == 201)
        let json = try #require(created.json)
        let id = try #require(json["id"]?.stringValue)
        #expect(created.header("Location") == "/api/v1/contacts/\(id)")
        #expect(created.header("ETag") == "\"1\"")
        #expect(json["firstName"] == "Ada")
        #expect(json["email"] == "ada@example.com")
        #expect(json["version"] == 1)
        #expect(json["custom"] == .object([:]))
        #expect(json["tags"] == ["vip", "Lead"])
        #expect(json["createdAt"]?.stringValue?.hasSuffix("Z") == true)

        let fetched = try await s.get("/contacts/\(id)")
        #expect(fetched.status == 200)
        #expect(fetched.header("ETag") == "\"1\"")
        #expect(fetched.json == json)
    }

    @Test func badInputNamesEveryField() async throws {
        let s = try await session()
        let response = try await s.send(.POST, "/contacts", [
            "firstName": 42, "email": "not-an-email", "phone": "call me", "shoeSize": 44, "id": "x",
            "title": .string(String(repeating: "t", count: 101)), "custom": ["tier": "gold"],
        ])
        #expect(response.status == 422)
        #expect(response.json?["code"] == "validation_failed")
        let fields = Set(response.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["firstName", "email", "phone", "shoeSize", "id", "title", "custom.tier"])
        let none = try await s.send(.POST, "/contacts", ["title": "CEO"])
        #expect(none.status == 422)
        let company = try await s.send(.POST, "/companies", ["domain": "acme.com", "employees": -1])
        #expect(Set(company.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []) == ["name", "employees"])
        let list = try await s.get("/contacts")
        #expect(list.json?["data"]?.arrayValue?.isEmpty == true, "nothing was written")
    }

    @Test func putReplacesPatchMergesAndIfMatchGuards() async throws {
        let s = try await session()
        let created = try await s.send(.POST, "/contacts", ["firstName": "Ada", "lastName": "Byron", "title": "Countess"])
        let id = try #require(created.json?["id"]?.stringValue)
        let patched = try await s.send(.PATCH, "/contacts/\(id)", ["lastName": "Lovelace"], headers: ["If-Match": "\"1\""])
        #expect(patched.status == 200)
        #expect(patched.json?["lastName"] == "Lovelace")
        #expect(patched.json?["title"] == "Countess")
        #expect(patched.json?["version"] == 2)
        #expect(patched.header("ETag") == "\"2\"")

        let stale = try await s.send(.PATCH, "/contacts/\(id)", ["title": "x"], headers: ["If-Match": "\"1\""])
        #expect(stale.status == 412)
        #expect(stale.json?["code"] == "precondition_failed")

        let replaced = try await s.send(.PUT, "/contacts/\(id)", ["firstName": "Ada"])
        #expect(replaced.json?["lastName"] == .null)
        #expect(replaced.json?["title"] == .null)
        #expect(replaced.json?["version"] == 3)
        #expect(try await s.send(.PATCH, "/contacts/\(id)", ["version": 9]).status == 422)
        #expect(try await s.send(.PATCH, "/contacts/\(id)", ["firstName": "A"], headers: ["If-Match": "soon"]).status == 400)
    }

    @Test func deleteHidesRestoreBringsBackAndHistoryTells() async throws {
        let s = try await session()
        let created = try await s.send(.POST, "/companies", ["name": "Acme"])
        let id = try #require(created.json?["id"]?.stringValue)
        _ = try await s.send(.PATCH, "/companies/\(id)", ["industry": "Anvils"])
        #expect(try await s.send(.DELETE, "/companies/\(id)").status == 204)
        #expect(try await s.get("/companies/\(id)").status == 404)
        #expect(try await s.send(.DELETE, "/companies/\(id)").status == 404)
        let restored = try await s.send(.POST, "/companies/\(id)/restore")
        #expect(restored.status == 200)
        #expect(restored.json?["industry"] == "Anvils")
        let history = try await s.get("/companies/\(id)/history")
        let entries = try #require(history.json?["data"]?.arrayValue)
        #expect(entries.map { $0["action"] } == ["restore", "delete", "update", "create"])
        #expect(entries[2]["changes"]?["industry"] == ["from": nil, "to": "Anvils"])
        #expect(entries[2]["actor"]?["id"] == .string(s.userID))
    }

    @Test func badIDsAreNotFound() async throws {
        let s = try await session()
        #expect(try await s.get("/contacts/not-a-uuid").status == 404)
        #expect(try await s.get("/contacts/\(UUID())").status == 404)
        #expect(try await s.send(.PATCH, "/contacts/\(UUID())", ["firstName": "x"]).status == 404)
    }

    @Test func referencesMustBeLiveRecordsOfTheSameOrganization() async throws {
        let server = try await SharedServer.shared.server()
        let a = try await Session.register(on: server)
        let b = try await Session.register(on: server)
        let foreign = try #require(try await b.send(.POST, "/companies", ["name": "B Corp"]).json?["id"]?.stringValue)
        let mine = try #require(try await a.send(.POST, "/companies", ["name": "A Corp"]).json?["id"]?.stringValue)
        let bad = try await a.send(.POST, "/contacts", ["firstName": "X", "companyId": .string(foreign)])
        #expect(bad.status == 422)
        #expect(bad.json?["errors"]?.arrayValue?.first?["field"] == "companyId")
        #expect(try await a.send(.POST, "/contacts", ["firstName": "X", "companyId": .string(mine)]).status == 201)
        #expect(try await a.send(.POST, "/contacts", ["firstName": "X", "ownerId": .string(b.userID)]).status == 422)
        #expect(try await a.send(.POST, "/contacts", ["firstName": "X", "ownerId": .string(a.userID)]).status == 201)
        _ = try await a.send(.DELETE, "/companies/\(mine)")
        #expect(try await a.send(.POST, "/contacts", ["firstName": "X", "companyId": .string(mine)]).status == 422)
    }

    @Test func idempotencyKeysReplayOrConflict() async throws {
        let s = try await session()
        let key = ["Idempotency-Key": "create-ada-\(UUID())"]
        let first = try await s.send(.POST, "/contacts", ["firstName": "Ada"], headers: key)
        let again = try await s.send(.POST, "/contacts", ["firstName": "Ada"], headers: key)
        #expect(first.status == 201)
        #expect(again.status == 201)
        #expect(again.json?["id"] == first.json?["id"])
        #expect(again.header("Location") == first.header("Location"))
        let other = try await s.send(.POST, "/contacts", ["firstName": "Bob"], headers: key)
        #expect(other.status == 409)
        #expect(try await s.get("/contacts").json?["data"]?.arrayValue?.count == 1)
    }
}

@Suite struct ListTests {
    /// A tenant with contacts n0…n(count-1), created in that order.
    func seeded(_ count: Int) async throws -> Session {
        let s = try await Session.register(on: try await SharedServer.shared.server())
        for i in 0..<count {
            let body: JSONValue = [
                "firstName": .string("n\(i)"), "lastName": .string(i % 2 == 0 ? "Even" : "Odd"),
                "email": .string("n\(i)@example.com"), "tags": i % 3 == 0 ? ["third"] : [],
            ]
            let response = try await s.send(.POST, "/contacts", body)
            guard response.status == 201 else { throw TestSetupError("seed failed: \(response.text)") }
        }
        return s
    }

    func names(_ response: HTTP.Response) -> [String] {
        response.json?["data"]?.arrayValue?.compactMap { $0["firstName"]?.stringValue } ?? []
    }

    @Test func cursorsWalkEveryRecordOnceEvenWithInsertsBetweenPages() async throws {
        let s = try await seeded(7)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let query = "/contacts?limit=3&sort=lastName,-createdAt" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await s.get(query)
            #expect(page.status == 200)
            seen += names(page)
            cursor = page.json?["nextCursor"]?.stringValue
            pages += 1
            if pages == 1 { _ = try await s.send(.POST, "/contacts", ["firstName": "late", "lastName": "Aaa"]) }
        } while cursor != nil && pages < 10
        #expect(seen == ["n6", "n4", "n2", "n0", "n5", "n3", "n1"])
    }

    @Test func defaultSortIsNewestFirstWithTotal() async throws {
        let s = try await seeded(4)
        let page = try await s.get("/contacts?limit=2&includeTotal=true")
        #expect(names(page) == ["n3", "n2"])
        #expect(page.json?["total"] == 4)
        #expect(page.json?["nextCursor"]?.stringValue != nil)
    }

    @Test func filtersCoverTheOperators() async throws {
        let s = try await seeded(6)
        #expect(Set(names(try await s.get("/contacts?filter[lastName]=Odd"))) == ["n1", "n3", "n5"])
        #expect(Set(names(try await s.get("/contacts?filter[lastName][ne]=Odd"))) == ["n0", "n2", "n4"])
        #expect(Set(names(try await s.get("/contacts?filter[email]=N2@EXAMPLE.COM"))) == ["n2"])
        #expect(Set(names(try await s.get("/contacts?filter[firstName][in]=n1,n4"))) == ["n1", "n4"])
        #expect(Set(names(try await s.get("/contacts?filter[email][contains]=5@EX"))) == ["n5"])
        #expect(Set(names(try await s.get("/contacts?filter[firstName][startsWith]=N1"))) == ["n1"])
        #expect(names(try await s.get("/contacts?filter[phone][isNull]=false")).isEmpty)
        #expect(Set(names(try await s.get("/contacts?filter[tags]=third"))) == ["n0", "n3"])
        #expect(Set(names(try await s.get("/contacts?filter%5BlastName%5D=Even&q=n4"))) == ["n4"])
        let all = try await s.get("/contacts?limit=100&sort=createdAt")
        let third = try #require(all.json?["data"]?.arrayValue?[2]["createdAt"]?.stringValue)
        // createdAt is shown to the second; gte a shown value includes that record and later ones.
        #expect(names(try await s.get("/contacts?filter[createdAt][gte]=\(third)")).count >= 4)
        #expect(names(try await s.get("/contacts?filter[createdAt][lt]=2000-01-01T00:00:00Z")).isEmpty)
    }

    @Test func badListRequestsAre400s() async throws {
        let s = try await seeded(2)
        for query in [
            "limit=0", "limit=101", "limit=ten", "cursor=garbage", "sort=shoeSize", "filter[shoeSize]=1",
            "filter[email][regex]=x", "filter[firstName][gt]=a&filter[phone][lt]=1", "filter[createdAt][gt]=yesterday",
            "includeTotal=maybe", "unknown=1", "filter[tags][contains]=x",
        ] {
            let response = try await s.get("/contacts?\(query)")
            #expect(response.status == 400, "\(query) → \(response.status)")
            #expect(response.json?["code"] == "bad_request")
        }
        // Two records, one per page: the first page has a cursor, which serves its own sort only.
        let firstPage = try await s.get("/contacts?limit=1&sort=lastName")
        let cursor = try #require(firstPage.json?["nextCursor"]?.stringValue)
        #expect(try await s.get("/contacts?limit=1&sort=lastName&cursor=\(cursor)").status == 200)
        #expect(try await s.get("/contacts?limit=1&sort=lastName,firstName&cursor=\(cursor)").status == 400)
        #expect(try await s.get("/contacts?limit=1&cursor=\(cursor)").status == 400)
    }

    @Test func searchRanksAcrossTypes() async throws {
        let s = try await Session.register(on: try await SharedServer.shared.server())
        _ = try await s.send(.POST, "/contacts", ["firstName": "Zanzibar", "lastName": "Quux"])
        _ = try await s.send(.POST, "/companies", ["name": "Zanzibar Trading"])
        _ = try await s.send(.POST, "/deals", ["name": "Zanzibar expansion"])
        let found = try await s.get("/search?q=zanzibar")
        let types = Set(found.json?["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? [])
        #expect(types == ["contacts", "companies", "deals"])
        let onlyCompanies = try await s.get("/search?q=zanzibar&types=companies")
        #expect(onlyCompanies.json?["data"]?.arrayValue?.count == 1)
        #expect(onlyCompanies.json?["data"]?.arrayValue?.first?["title"] == "Zanzibar Trading")
        #expect(try await s.get("/search").status == 400)
        #expect(try await s.get("/search?q=x&types=planets").status == 400)
        let other = try await Session.register(on: try await SharedServer.shared.server())
        #expect(try await other.get("/search?q=zanzibar").json?["data"]?.arrayValue?.isEmpty == true)
    }
}
