import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// `q` and `/search` through `search_terms` (API.md, Lists and `GET /search`): every word by
/// prefix, emails and domains, misspellings in `/search`, the index following every write, and
/// one tenant's words never reaching another.
@Suite struct SearchTests {
    func titles(_ response: HTTP.Response) -> [String] {
        response.json?["data"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []
    }
    func lastNames(_ response: HTTP.Response) -> [String] {
        response.json?["data"]?.arrayValue?.compactMap { $0["lastName"]?.stringValue } ?? []
    }

    func seeded() async throws -> Session {
        let s = try await Session.register(on: try await SharedServer.shared.server())
        for contact: JSONValue in [
            ["firstName": "John", "lastName": "Harford", "email": "john.harford@example.com"],
            ["firstName": "Joan", "lastName": "Smith", "email": "joan@acme-tools.io", "phone": "+1 555 0100"],
            ["firstName": "Mary", "lastName": "Harrison"],
        ] {
            #expect(try await s.send(.POST, "/contacts", contact).status == 201)
        }
        #expect(try await s.send(.POST, "/companies", ["name": "Acme Tools", "domain": "acme-tools.io"]).status == 201)
        return s
    }

    @Test func everyWordMatchesByPrefixOfAWord() async throws {
        let s = try await seeded()
        #expect(lastNames(try await s.get("/contacts?q=harfo")) == ["Harford"])
        #expect(lastNames(try await s.get("/contacts?q=HAR")).sorted() == ["Harford", "Harrison"])
        // Both words, either order; one that matches nothing empties the list.
        #expect(lastNames(try await s.get("/contacts?q=john%20harf")) == ["Harford"])
        #expect(lastNames(try await s.get("/contacts?q=harf%20john")) == ["Harford"])
        #expect(lastNames(try await s.get("/contacts?q=joan%20harf")).isEmpty)
        // Inside a word is not a match for three letters or more…
        #expect(lastNames(try await s.get("/contacts?q=arfo")).isEmpty)
        // …but one or two letters match anywhere.
        #expect(lastNames(try await s.get("/contacts?q=rr")) == ["Harrison"])
        // An email by its beginning, a domain, a part of the email, digits of a phone.
        #expect(lastNames(try await s.get("/contacts?q=john.harford@ex")) == ["Harford"])
        #expect(lastNames(try await s.get("/contacts?q=acme-tools.io")) == ["Smith"])
        #expect(lastNames(try await s.get("/contacts?q=tools")) == ["Smith"])
        #expect(lastNames(try await s.get("/contacts?q=0100")) == ["Smith"])
        // Characters that mean something to LIKE or to a regular expression are only text.
        for q in ["%25", "_", "%5C", "(", "[a-z]*", "'%20OR%201=1"] {
            let response = try await s.get("/contacts?q=\(q)")
            #expect(response.status == 200, "q=\(q)")
            #expect(lastNames(response).isEmpty, "q=\(q)")
        }
    }

    @Test func searchRanksExactMatchesAboveMisspellings() async throws {
        let s = try await seeded()
        let exact = try await s.get("/search?q=harford")
        #expect(titles(exact) == ["John Harford"])
        #expect((exact.json?["data"]?.arrayValue?.first?["rank"]?.doubleValue ?? 0) > 0.5)
        // Up to two edits in a word of four letters or more.
        #expect(titles(try await s.get("/search?q=harfrod")) == ["John Harford"])
        #expect(titles(try await s.get("/search?q=jonh%20harford")) == ["John Harford"])
        let typo = try await s.get("/search?q=smtih")
        #expect(titles(typo) == ["Joan Smith"])
        #expect((typo.json?["data"]?.arrayValue?.first?["rank"]?.doubleValue ?? 1) < 0.5)
        // Across entities, exact first: the company's name, then the contact by its email's domain.
        let acme = try await s.get("/search?q=acme")
        #expect(Set(titles(acme)) == ["Acme Tools", "Joan Smith"])
        // Nothing near: nothing.
        #expect(titles(try await s.get("/search?q=zzzzqq")).isEmpty)
        #expect(titles(try await s.get("/search?q=xy")).isEmpty)
    }

    @Test func theIndexFollowsEveryWrite() async throws {
        let s = try await Session.register(on: try await SharedServer.shared.server())
        let created = try await s.send(.POST, "/contacts", ["firstName": "Quentin", "lastName": "Blakeney"])
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(lastNames(try await s.get("/contacts?q=blake")) == ["Blakeney"])
        #expect(try await s.send(.PATCH, "/contacts/\(id)", ["lastName": "Ormsby"]).status == 200)
        #expect(lastNames(try await s.get("/contacts?q=blake")).isEmpty)
        #expect(titles(try await s.get("/search?q=ormsby")) == ["Quentin Ormsby"])
        // A change that leaves the text alone keeps it findable.
        #expect(try await s.send(.PATCH, "/contacts/\(id)", ["title": "CFO"]).status == 200)
        #expect(lastNames(try await s.get("/contacts?q=ormsby")) == ["Ormsby"])
        #expect(try await s.send(.DELETE, "/contacts/\(id)").status == 204)
        #expect(lastNames(try await s.get("/contacts?q=ormsby")).isEmpty)
        #expect(titles(try await s.get("/search?q=ormsby")).isEmpty)
        #expect(try await s.send(.POST, "/contacts/\(id)/restore").status == 200)
        #expect(titles(try await s.get("/search?q=ormsby")) == ["Quentin Ormsby"])
    }

    @Test func oneTenantsWordsNeverReachAnother() async throws {
        let server = try await SharedServer.shared.server()
        let a = try await seeded()
        let b = try await Session.register(on: server)
        #expect(try await b.send(.POST, "/contacts", ["firstName": "Hartley", "lastName": "Other"]).status == 201)
        // B finds none of A's records, not even as a misspelling of its own words.
        #expect(titles(try await b.get("/search?q=harford")).isEmpty)
        #expect(titles(try await b.get("/search?q=harfrod")).isEmpty)
        #expect(lastNames(try await b.get("/contacts?q=har")) == ["Other"])
        #expect(titles(try await a.get("/search?q=hartley")).isEmpty)
        // In the database, as the server's role: a tenant's setting shows its own terms only.
        let database = try await SharedServer.shared.database()
        try await database.withAppTenant(b.organizationID) { connection in
            let rows = try await connection.query("SELECT DISTINCT org_id::text FROM search_terms", logger: TestDatabase.logger)
            var orgs: [String] = []
            for try await org in rows.decode(String.self) { orgs.append(org) }
            #expect(orgs == [b.organizationID])
        }
    }

    /// A guard for every table to come: a tenant table without forced RLS would be visible to
    /// every tenant's queries. `refresh_tokens` is a person's (KernelMigrations: global tables
    /// reached only by unguessable keys); its `org_id` names the login's organization.
    @Test func everyTableWithAnOrganizationColumnForcesRowLevelSecurity() async throws {
        let database = try await SharedServer.shared.database()
        try await database.withAdmin { client in
            let rows = try await client.query("""
                SELECT c.relname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> 'refresh_tokens' AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                """, logger: TestDatabase.logger)
            var unprotected: [String] = []
            for try await table in rows.decode(String.self) { unprotected.append(table) }
            #expect(unprotected.isEmpty, "tables without forced RLS: \(unprotected)")
        }
    }
}
