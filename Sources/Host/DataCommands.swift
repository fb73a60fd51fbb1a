import ArgumentParser
import Foundation
import Kernel
import NIOCore

/// `crm import` and `crm export` (API.md, Import and export): the operator's way to the same
/// import and export as the API, on the server's database, acting for the organization
/// (`Principal.system`). The database is migrated first, as `crm serve` would.
enum DataCommand {
    /// Runs `body` with a migrated database and every plugin registered (schemas, hooks,
    /// custom fields), as the server has them; no HTTP.
    static func withServer(_ body: @escaping @Sendable (CRMServer) async throws -> Void) async throws {
        try await Launcher.withDatabase { launcher, url in
            let server = try await launcher.makeServer(databaseURL: url)
            _ = server.makeRouter()  // the plugins register what the store needs
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await server.database.run() }
                _ = try await Migrator(client: server.database.client, logger: launcher.logger)
                    .migrate(CRMServer.migrationSets(for: launcher.registry))
                try await body(server)
                group.cancelAll()
            }
        }
    }

    static func organization(_ text: String) throws -> UUID {
        guard let id = UUID(text: text) else { throw ValidationError("--org must be an organization id (a UUID)") }
        return id
    }

    static func schema(_ name: String, in server: CRMServer) throws -> EntitySchema {
        guard let schema = server.services.schemas.schema(name) else {
            throw ValidationError("unknown entity '\(name)': one of \(server.services.schemas.all.map(\.name).joined(separator: ", "))")
        }
        return schema
    }

    /// A problem as one line on standard error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? RecordError { return APIError(error).oneLine }
        if let error = error as? APIError { return error.oneLine }
        return Launcher.oneLine(error)
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a CSV file of records into an organization (as POST /imports).")

    @Argument(help: "contacts, companies, deals or activities") var entity: String
    @Argument(help: "The CSV file (RFC 4180, UTF-8, a header row).") var file: String
    @Option(help: "The organization's id.") var org: String

    func run() async throws {
        let organizationID = try DataCommand.organization(org)
        let (entity, file) = (self.entity, self.file)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
        try await DataCommand.withServer { server in
            let schema = try DataCommand.schema(entity, in: server)
            let principal = Principal.system("import", organizationID: organizationID)
            let view: Imports.View
            do {
                view = try await server.imports.create(schema, body: FileChunks(handle: handle), principal: principal)
            } catch {
                throw ValidationError("\(file): \(DataCommand.describe(error))")
            }
            let progress = Progress(total: view.totalRows)
            let done = try await server.imports.run(UUID(text: view.id)!, organizationID: organizationID) { progress.show($0) }
            progress.finish(done)
            if done.status == "failed" { throw ExitCode(1) }
        }
    }
}

/// The file in 64 KiB buffers (the upload path reads any async sequence of buffers).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        mutating func next() async throws -> ByteBuffer? {
            let data = try handle.read(upToCount: 64 << 10) ?? Data()
            return data.isEmpty ? nil : ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}

/// Rows, rows/s and the time left: a bar redrawn in place on a terminal, a plain line per
/// report otherwise (logs, pipes).
final class Progress: @unchecked Sendable {
    let total: Int
    let started = Date()
    let terminal = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    func show(_ view: Imports.View) {
        let line = describe(view)
        if terminal {
            let width = 30
            let filled = total == 0 ? width : min(width, view.processedRows * width / total)
            FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(line)\u{1B}[K".utf8))
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    func finish(_ view: Imports.View) {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let rejected = view.rejected.arrayValue ?? []
        for entry in rejected.prefix(20) {
            let line = entry["line"]?.doubleValue.map { String(Int($0)) } ?? "?"
            FileHandle.standardError.write(Data("line \(line): \(entry["field"]?.stringValue ?? ""): \(entry["message"]?.stringValue ?? "")\n".utf8))
        }
        if view.rejectedCount > 20 { FileHandle.standardError.write(Data("… \(view.rejectedCount - 20) more rejected rows (GET /imports/\(view.id))\n".utf8)) }
        print("crm: import \(view.id) \(view.status): \(view.createdCount) created, \(view.rejectedCount) rejected of \(view.totalRows) rows"
            + (view.error.map { " (\($0))" } ?? ""))
    }

    func describe(_ view: Imports.View) -> String {
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(view.processedRows) / seconds
        let left = rate > 0 ? Double(total - view.processedRows) / rate : 0
        return "\(view.processedRows)/\(total) rows, \(Int(rate)) rows/s, ETA \(Int(left.rounded())) s"
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write an organization's records as CSV to standard output (as GET /{entity}/export.csv).")

    @Argument(help: "contacts, companies, deals or activities") var entity: String
    @Option(help: "The organization's id.") var org: String
    @Option(help: "A list query: filters, sort and q as in the API (e.g. 'filter[lastName][startsWith]=A&sort=lastName').")
    var query: String = ""

    func run() async throws {
        let organizationID = try DataCommand.organization(org)
        let (entity, query) = (self.entity, self.query)
        try await DataCommand.withServer { server in
            let schema = try DataCommand.schema(entity, in: server)
            let principal = Principal.system("export", organizationID: organizationID)
            let items = URLComponents(string: "?" + query)?.queryItems?.map { ($0.name, $0.value ?? "") } ?? []
            do {
                let custom = try await server.services.records.customDefinitions(schema, principal)
                let parsed = try RecordQuery.parse(items, schema: schema, custom: custom)
                try await server.services.records.exportCSV(schema, query: parsed, principal: principal) { text in
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            } catch let error as RecordError {
                throw ValidationError(DataCommand.describe(error))
            }
        }
    }
}
