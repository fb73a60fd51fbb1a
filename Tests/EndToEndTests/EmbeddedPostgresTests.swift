import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `crm serve` without DATABASE_URL: the embedded cluster under ./.crm/pg, in a working
/// directory private to its owner (mode 0700, like /root or a mktemp -d folder).
@Suite(.serialized) struct EmbeddedPostgresTests {
    func privateDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "crm-embedded-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o700)
        return path
    }

    /// Where the cluster's files really are (./.crm/pg may be a symlink when running as root).
    func dataDirectory(in directory: String) -> String {
        let link = directory + "/.crm/pg"
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? link
    }

    func postmasterRunning(_ dataDirectory: String) -> Bool {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let pid = Int32(text.split(separator: "\n").first ?? "")
        else { return false }
        return kill(pid, 0) == 0
    }

    func cleanUp(_ directory: String) {
        let data = dataDirectory(in: directory)
        try? FileManager.default.removeItem(atPath: directory)
        if data.hasPrefix("/var/lib/crm/") {
            try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent)
        }
    }

    @Test func firstRunCreatesTheClusterAndShutdownStopsIt() async throws {
        let directory = try privateDirectory()
        defer { cleanUp(directory) }

        let server = try await ServerProcess.serve(databaseURL: nil, directory: directory)
        try await server.waitUntilReady()
        let data = dataDirectory(in: directory)
        #expect(FileManager.default.fileExists(atPath: data + "/PG_VERSION"))
        #expect(postmasterRunning(data))
        try await server.stop()
        #expect(!postmasterRunning(data), "PostgreSQL is still running after shutdown")

        // The next run reuses the same cluster (and the generated development secrets).
        let secrets = try String(contentsOfFile: directory + "/.crm/secrets.json", encoding: .utf8)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/.crm/secrets.json")[.posixPermissions] as? Int
        #expect(mode == 0o600, "the secrets file is the owner's alone")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory + "/.crm").filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        let again = try await ServerProcess.serve(databaseURL: nil, directory: directory)
        try await again.waitUntilReady()
        #expect(again.output.contains("initialising") == false)
        #expect(try String(contentsOfFile: directory + "/.crm/secrets.json", encoding: .utf8) == secrets)
        try await again.stop()
        #expect(!postmasterRunning(data))
    }

    @Test func aCrashedClusterIsRecoveredOnTheNextRun() async throws {
        let directory = try privateDirectory()
        defer { cleanUp(directory) }

        let server = try await ServerProcess.serve(databaseURL: nil, directory: directory)
        try await server.waitUntilReady()
        let data = dataDirectory(in: directory)
        let pidText = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        let postmaster = Int32(pidText.split(separator: "\n")[0])!
        // Crash both: the server and PostgreSQL die without cleaning up.
        server.signal(SIGKILL)
        _ = try await server.waitForExit()
        kill(postmaster, SIGKILL)
        try await Task.sleep(for: .seconds(1))
        #expect(FileManager.default.fileExists(atPath: data + "/postmaster.pid"), "the crash left no lock file to recover from")

        let again = try await ServerProcess.serve(databaseURL: nil, directory: directory)
        try await again.waitUntilReady()
        try await again.stop()
        #expect(!postmasterRunning(data))
    }
}
