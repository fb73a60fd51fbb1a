import Foundation
import Kernel
import Testing
import TestSupport

/// The service endpoints and HTTP basics against a real `crm serve` process and database.
@Suite struct ServiceEndpointTests {
    @Test func healthReadinessAndMetricsAnswer() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()

        let health = try await HTTP.request(.GET, server.baseURL + "/healthz")
        #expect(health.status == 200)
        #expect(health.json?["status"] == "ok")

        let ready = try await HTTP.request(.GET, server.baseURL + "/readyz")
        #expect(ready.status == 200)

        let metrics = try await HTTP.request(.GET, server.baseURL + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("hb_requests{http_route=\"/readyz\""))
        #expect(metrics.text.contains("http_server_request_duration_bucket"))
        try await server.stop()
    }

    @Test func migrationsAreRecordedByTheServer() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        let count = try await database.withAdmin { client in
            let rows = try await client.query("SELECT count(*) FROM schema_migrations", logger: TestDatabase.logger)
            var total = 0
            for try await n in rows.decode(Int.self) { total = n }
            return total
        }
        let kernelCount = CRMServer.migrationSets(for: try PluginRegistry([])).first?.migrations.count ?? 0
        #expect(count >= kernelCount)
        try await server.stop()
    }

    @Test func unknownRoutesAreProblemDocuments() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        let response = try await HTTP.request(.GET, server.baseURL + "/api/v1/nothing-here", headers: ["X-Request-Id": "req-1"])
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.json?["code"] == "not_found")
        #expect(response.header("X-Request-Id") == "req-1")
        #expect(response.header("X-Frame-Options") == "DENY")
        try await server.stop()
    }

    @Test func sigtermEndsTheServerCleanly() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func productionLogsAreJSONLines() async throws {
        let database = try await TestDatabase.create()
        let secret = String(repeating: "k", count: 40)
        let server = try await ServerProcess.serve(
            databaseURL: database.appURLString,
            extraEnvironment: ["CRM_ENV": "production", "JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret, "LOG_FORMAT": "json"])
        try await server.waitUntilReady()
        try await server.stop()
        let lines = server.output.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(JSONValue.parse(Data(line.utf8))?.objectValue != nil, "not JSON: \(line)")
        }
        #expect(!server.output.contains(secret))
    }
}

/// Bad configuration stops start-up with one line naming the variable.
@Suite struct StartupErrorTests {
    func runCRM(_ environment: [String: String], _ arguments: [String] = ["serve"]) async throws -> (Int32, String) {
        let process = try ServerProcess(arguments: arguments, environment: environment, directory: NSTemporaryDirectory())
        let status = try await process.waitForExit()
        return (status, process.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aNonNumericPortIsNamed() async throws {
        let (status, output) = try await runCRM(["PORT": "eighty"])
        #expect(status != 0)
        #expect(output.split(separator: "\n").count == 1)
        #expect(output.contains("PORT"))
    }

    @Test func aMalformedDatabaseURLIsNamed() async throws {
        let (status, output) = try await runCRM(["DATABASE_URL": "mysql://x"])
        #expect(status != 0)
        #expect(output.split(separator: "\n").count == 1)
        #expect(output.contains("DATABASE_URL"))
    }

    @Test func aShortSecretInProductionIsNamed() async throws {
        let (status, output) = try await runCRM(["CRM_ENV": "production", "JWT_SECRET": "short", "JWT_REFRESH_SECRET": String(repeating: "x", count: 32)])
        #expect(status != 0)
        #expect(output.split(separator: "\n").count == 1)
        #expect(output.contains("JWT_SECRET"))
    }

    @Test func versionAndHelpAnswer() async throws {
        let (status, output) = try await runCRM([:], ["version"])
        #expect(status == 0)
        #expect(output.hasPrefix("crm "))
        for command in [["--help"], ["serve", "--help"], ["migrate", "--help"], ["version", "--help"]] {
            let (helpStatus, help) = try await runCRM([:], command)
            #expect(helpStatus == 0)
            #expect(help.contains("USAGE"))
        }
    }

    @Test func anEditedMigrationStopsServeAtOnce() async throws {
        let database = try await TestDatabase.create()
        let (migrated, _) = try await runCRM(["DATABASE_URL": database.appURLString], ["migrate"])
        #expect(migrated == 0)
        try await database.withAdmin { client in
            try await client.query("UPDATE schema_migrations SET checksum = 'tampered' WHERE owner = 'kernel' AND id = '0001_tenancy_auth'", logger: TestDatabase.logger)
        }
        let (status, output) = try await runCRM(["DATABASE_URL": database.appURLString, "PORT": "0"])
        #expect(status != 0)
        #expect(output.contains("kernel/0001_tenancy_auth was edited"))
    }

    @Test func migrateAppliesAndExits() async throws {
        let database = try await TestDatabase.create()
        let (status, output) = try await runCRM(["DATABASE_URL": database.appURLString], ["migrate"])
        #expect(status == 0, "\(output)")
        let (again, secondOutput) = try await runCRM(["DATABASE_URL": database.appURLString], ["migrate"])
        #expect(again == 0)
        #expect(secondOutput.contains("no pending migrations"))
    }
}
