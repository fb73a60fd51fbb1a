import Foundation
import Kernel
import Testing
import TestSupport

/// API.md, Import and export: `POST /imports` stores valid rows, reports rejected ones by line,
/// keeps tenants apart, and resumes after a restart without duplicates.
@Suite struct ImportTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    static func upload(_ session: Session, _ entity: String, _ csv: String) async throws -> HTTP.Response {
        try await HTTP.request(
            .POST, session.api + "/imports?entity=\(entity)",
            headers: ["Authorization": "Bearer \(session.accessToken)", "Content-Type": "text/csv"], body: Data(csv.utf8))
    }

    /// The import once it is done (or failed).
    static func finished(_ session: Session, _ id: String, timeout: Duration = .seconds(120)) async throws -> JSONValue {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let answer = try await session.get("/imports/\(id)")
            if let status = answer.json?["status"]?.stringValue, ["done", "failed"].contains(status) { return answer.json ?? .null }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ImportTimeout()
    }

    struct ImportTimeout: Error {}

    /// `count` contacts, every 1,000th with an invalid email (line = index + 2).
    static func contactsCSV(_ count: Int, prefix: String) -> String {
        var csv = "First name,Last name,email,custom.tier,tags\r\n"
        for index in 0..<count {
            let email = index % 1000 == 999 ? "broken-\(index)" : "\(prefix)\(index)@example.com"
            csv += "P\(index),\"Last, \(index)\",\(email),\(index % 2 == 0 ? "gold" : ""),imported;batch\r\n"
        }
        return csv
    }

    @Test func tenThousandRowsWithBadOnesAreStoredAndReported() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let other = try await Session.register(on: server)
        _ = try await owner.send(.POST, "/custom-fields", ["entity": "contacts", "key": "tier", "label": "Tier", "type": "select", "options": ["gold"]])
        let answer = try await Self.upload(owner, "contacts", Self.contactsCSV(10_000, prefix: "ten"))
        #expect(answer.status == 202, "\(answer.text)")
        #expect(answer.json?["status"] == "queued" && answer.json?["totalRows"] == 10_000)
        let id = try #require(answer.json?["id"]?.stringValue)
        #expect(answer.header("Location") == "/api/v1/imports/\(id)")

        let done = try await Self.finished(owner, id)
        #expect(done["status"] == "done", "\(done)")
        #expect(done["processedRows"] == 10_000 && done["createdCount"] == 9_990 && done["rejectedCount"] == 10)
        let rejected = done["rejected"]?.arrayValue ?? []
        #expect(rejected.count == 10)
        #expect(rejected.first == ["line": 1001, "field": "email", "code": "invalid_email", "message": "must be a valid email address"])
        let total = try await owner.get("/contacts?limit=1&includeTotal=true&filter[tags]=imported").json?["total"]
        #expect(total == 9_990)
        let one = try await owner.get("/contacts?filter[email]=ten2@example.com").json?["data"]?.arrayValue?.first
        #expect(one?["lastName"] == "Last, 2" && one?["custom"]?["tier"] == "gold")
        #expect(Set(one?["tags"]?.arrayValue ?? []) == ["imported", "batch"])
        // Another tenant sees none of it.
        #expect(try await other.get("/imports/\(id)").status == 404)
        #expect(try await other.get("/imports").json?["data"]?.arrayValue?.isEmpty == true)
        #expect(try await other.get("/contacts?includeTotal=true&limit=1").json?["total"] == 0)
        #expect(try await owner.get("/imports").json?["data"]?.arrayValue?.first?["id"] == .string(id))
    }

    /// A tenant whose before-hook runs every row to its time limit makes short batches and
    /// short turns: another tenant's import, uploaded after it, finishes before it does.
    @Test func aSlowTenantsImportLetsOthersThrough() async throws {
        let server = try await server()
        let slow = try await Session.register(on: server)
        let other = try await Session.register(on: server)
        let script = "return { on = { [\"contacts.beforeCreate\"] = function(e, crm) for i = 1, 100000 do crm.find(\"contacts\", {}, {limit = 1}) end end } }"
        #expect(try await slow.send(.PUT, "/scripts/slow", ["source": .string(script)]).status == 201)
        var csv = "lastName\r\n"
        for index in 0..<60 { csv += "Slow \(index)\r\n" }
        let slowImport = try #require(try await Self.upload(slow, "contacts", csv).json?["id"]?.stringValue)
        // Once the slow import has started, the other tenant's one-row import.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline, try await slow.get("/imports/\(slowImport)").json?["status"] == "queued" {
            try await Task.sleep(for: .milliseconds(50))
        }
        let quick = try #require(try await Self.upload(other, "contacts", "lastName\r\nQuick\r\n").json?["id"]?.stringValue)
        let done = try await Self.finished(other, quick)
        #expect(done["createdCount"] == 1)
        let meanwhile = try await slow.get("/imports/\(slowImport)").json
        #expect(meanwhile?["status"] == "running", "the slow import is not over yet: \(String(describing: meanwhile))")
        #expect((meanwhile?["processedRows"]?.doubleValue ?? 60) < 60)
        // And it finishes, every row refused by its hook's time limit.
        let slowDone = try await Self.finished(slow, slowImport)
        #expect(slowDone["processedRows"] == 60 && slowDone["rejectedCount"] == 60, "\(slowDone)")
    }

    @Test func aBadFileIsRefusedBeforeAnythingIsStored() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let unknown = try await Self.upload(owner, "contacts", "firstName,shoeSize\r\nAda,38\r\n")
        #expect(unknown.status == 422)
        #expect(unknown.json?["errors"]?.arrayValue?.first?["field"] == "shoeSize")
        #expect(try await Self.upload(owner, "contacts", "firstName\r\n\"Ada\r\n").status == 422, "an unclosed quote")
        #expect(try await Self.upload(owner, "planets", "name\r\nMars\r\n").status == 400)
        #expect(try await HTTP.request(
            .POST, owner.api + "/imports?entity=contacts",
            headers: ["Authorization": "Bearer \(owner.accessToken)", "Content-Type": "application/json"], body: Data("{}".utf8)).status == 415)
        #expect(try await owner.get("/imports").json?["data"]?.arrayValue?.isEmpty == true)
        let viewer = try await Session.register(on: server)
        try await owner.addMember(viewer, role: "viewer")
        let asViewer = try await owner.loginAs(viewer)
        #expect(try await Self.upload(asViewer, "contacts", "firstName\r\nAda\r\n").status == 403)
    }

    @Test func anImportResumesAfterARestartWithoutDuplicates() async throws {
        let database = try await TestDatabase.create()
        var server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        var owner = try await Session.register(on: server)
        _ = try await owner.send(.POST, "/custom-fields", ["entity": "contacts", "key": "tier", "label": "Tier", "type": "select", "options": ["gold"]])
        let answer = try await Self.upload(owner, "contacts", Self.contactsCSV(12_000, prefix: "restart"))
        let id = try #require(answer.json?["id"]?.stringValue, "\(answer.status) \(answer.text)")
        // Killed once some batches are stored and others are not.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            let processed = try await owner.get("/imports/\(id)").json?["processedRows"]?.doubleValue ?? 0
            if processed > 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.signal(SIGKILL)
        _ = try await server.waitForExit()
        let before = try await database.withAdmin { client in
            try await client.query("SELECT processed_rows FROM imports").collect().first?.decode(Int.self) ?? 0
        }
        #expect(before > 0 && before < 12_000, "killed mid-import (\(before) rows stored)")
        // A new process takes it over once the dead one's claim runs out, and finishes it.
        server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        owner = owner.on(server)
        let done = try await Self.finished(owner, id)
        #expect(done["status"] == "done" && done["processedRows"] == 12_000 && done["createdCount"] == 11_988, "\(done)")
        let stored = try await database.withAdmin { client in
            try await client.query("SELECT count(*), count(DISTINCT email) FROM contacts").collect().first?.decode((Int, Int).self)
        }
        #expect(stored?.0 == 11_988 && stored?.1 == 11_988, "no row stored twice")
        try await server.stop()
    }
}

/// `crm import` and `crm export`: the same import and export from the command line.
@Suite struct DataCommandTests {
    @Test func theCLIImportsAFileAndExportsItAgain() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        let owner = try await Session.register(on: server)
        let other = try await Session.register(on: server)
        let directory = NSTemporaryDirectory() + "crm-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/contacts.csv"
        try "Last name,email,tags\r\nLovelace,ada@example.com,vip\r\nHopper,not-an-email,\r\nTuring,alan@example.com,\r\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let environment = ["DATABASE_URL": database.appURLString, "LOG_LEVEL": "error"]

        let importer = try ServerProcess(arguments: ["import", "contacts", file, "--org", owner.organizationID], environment: environment, directory: directory)
        #expect(try await importer.waitForExit(timeout: .seconds(120)) == 0, "\(importer.output)")
        #expect(importer.output.contains("done: 2 created, 1 rejected of 3 rows"), "\(importer.output)")
        #expect(importer.output.contains("line 3: email: must be a valid email address"), "\(importer.output)")
        #expect(try await owner.get("/contacts?includeTotal=true&limit=1").json?["total"] == 2)
        #expect(try await other.get("/contacts?includeTotal=true&limit=1").json?["total"] == 0, "only the organization named")

        let exporter = try ServerProcess(
            arguments: ["export", "contacts", "--org", owner.organizationID, "--query", "sort=lastName"], environment: environment, directory: directory)
        #expect(try await exporter.waitForExit(timeout: .seconds(120)) == 0, "\(exporter.output)")
        let rows = ExportTests.rows(exporter.output)
        let header = try #require(rows.first)
        let lastNames = rows.dropFirst().map { $0[header.firstIndex(of: "lastName")!] }
        #expect(lastNames == ["Lovelace", "Turing"], "\(exporter.output)")

        let wrong = try ServerProcess(arguments: ["import", "planets", file, "--org", owner.organizationID], environment: environment, directory: directory)
        #expect(try await wrong.waitForExit(timeout: .seconds(120)) != 0)
        #expect(wrong.output.contains("unknown entity 'planets'"))
        try await server.stop()
    }
}
