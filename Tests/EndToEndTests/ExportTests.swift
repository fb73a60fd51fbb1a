import Foundation
import Kernel
import Testing
import TestSupport

/// API.md, Import and export: `GET /{entity}/export.csv` streams every record the list's
/// filters, sort and `q` select, as RFC 4180 CSV in the values' CSV form.
@Suite struct ExportTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    /// The CSV's rows as cells (RFC 4180: quoted cells may hold commas, quotes and line breaks).
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], cell = "", quoted = false
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { cell.append("\""); characters.removeFirst() } else { quoted = false }
                } else { cell.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(cell); cell = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(cell); rows.append(row); row = []; cell = ""
            } else {
                cell.append(c)
            }
        }
        return rows
    }

    @Test func anExportHasEveryColumnInItsCSVForm() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let other = try await Session.register(on: server)
        _ = try await other.send(.POST, "/contacts", ["lastName": "Elsewhere"])
        _ = try await owner.send(.POST, "/custom-fields", [
            "entity": "contacts", "key": "tier", "label": "Tier", "type": "multiSelect", "options": ["gold", "silver"],
        ])
        _ = try await owner.send(.POST, "/custom-fields", ["entity": "contacts", "key": "budget", "label": "Budget", "type": "currency"])
        let ada = try await owner.send(.POST, "/contacts", [
            "firstName": "Ada", "lastName": "Lovelace, Countess", "email": "ADA@example.com", "title": "=HYPERLINK(\"x\")",
            "custom": ["tier": ["gold", "silver"], "budget": ["amount": 1250.5, "currency": "EUR"]], "tags": ["vip", "math"],
        ])
        #expect(ada.status == 201, "\(ada.text)")
        _ = try await owner.send(.POST, "/contacts", ["firstName": "Grace", "lastName": "Hopper", "title": "line one\nline two"])

        let answer = try await owner.get("/contacts/export.csv?sort=lastName")
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.header("Content-Type") == "text/csv; charset=utf-8")
        #expect(answer.header("Content-Disposition") == "attachment; filename=\"contacts.csv\"")
        let rows = Self.rows(answer.text)
        let header = try #require(rows.first)
        #expect(Array(header.prefix(4)) == ["id", "createdAt", "updatedAt", "version"])
        #expect(header.suffix(3) == ["custom.tier", "custom.budget", "tags"] || header.suffix(3) == ["custom.budget", "custom.tier", "tags"])
        #expect(rows.count == 3, "two records of this tenant only: \(rows)")
        func cell(_ row: [String], _ name: String) -> String { row[header.firstIndex(of: name)!] }
        let grace = rows[1], lovelace = rows[2]
        #expect(cell(grace, "lastName") == "Hopper")
        #expect(cell(grace, "title") == "line one\nline two")
        #expect(cell(lovelace, "lastName") == "Lovelace, Countess")
        #expect(cell(lovelace, "email") == "ada@example.com")
        #expect(cell(lovelace, "title") == "'=HYPERLINK(\"x\")", "a formula is written as text")
        #expect(cell(lovelace, "custom.tier") == "gold;silver")
        #expect(cell(lovelace, "custom.budget") == "1250.50 EUR")
        #expect(Set(cell(lovelace, "tags").split(separator: ";")) == ["vip", "math"])
        #expect(cell(lovelace, "version") == "1")
        #expect(cell(lovelace, "id") == ada.json?["id"]?.stringValue)
        #expect(answer.text.hasSuffix("\r\n"))

        // The list's filters and q apply; paging parameters and bad filters are 400.
        let filtered = Self.rows(try await owner.get("/contacts/export.csv?filter[lastName][startsWith]=hop").text)
        #expect(filtered.count == 2 && cell(filtered[1], "firstName") == "Grace")
        #expect(Self.rows(try await owner.get("/contacts/export.csv?q=lovelace").text).count == 2)
        for bad in ["limit=5", "cursor=x", "filter[nope]=1", "sort=unknown"] {
            #expect(try await owner.get("/contacts/export.csv?\(bad)").status == 400, "\(bad)")
        }
        // A viewer may export (read); nobody outside may.
        #expect(try await HTTP.request(.GET, owner.api + "/contacts/export.csv").status == 401)
    }

    @Test func anExportCrossesItsBatchesWithoutRepeatsOrGaps() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let count = 2_345
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 8) {
                        let answer = try await owner.send(.POST, "/contacts", ["lastName": .string("Person \(index)"), "phone": "+1 555 0100"])
                        guard answer.status == 201 else { throw HTTPStatusError(status: answer.status, body: answer.text) }
                    }
                }
            }
            try await group.waitForAll()
        }
        for sort in ["-createdAt", "lastName", "phone"] {
            let rows = Self.rows(try await owner.get("/contacts/export.csv?sort=\(sort)").text)
            let ids = rows.dropFirst().map { $0[0] }
            #expect(ids.count == count, "\(sort)")
            #expect(Set(ids).count == count, "\(sort): no record twice")
        }
    }

    struct HTTPStatusError: Error {
        let status: Int
        let body: String
    }
}
