import Crypto
import Foundation
import Kernel
import Logging
import NIOPosix
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// The zero-configuration database: a private PostgreSQL cluster under `./.crm/pg`, created on
/// first run with the system's initdb, started with pg_ctl on a Unix socket only (no TCP port),
/// and stopped on shutdown. The server connects as `crm_app`, a role that is neither superuser
/// nor BYPASSRLS, which owns the `crm` database.
///
/// As root, the cluster runs as the `postgres` system user. When that user cannot enter the
/// working directory (a directory private to root, like /root), the cluster lives in
/// `/var/lib/crm/<hash of the directory>/` instead and `./.crm/pg` is a symlink to it.
struct EmbeddedPostgres {
    static let applicationRole = "crm_app"
    static let applicationDatabase = "crm"
    static let superuser = "postgres"

    let stateDirectory: URL
    let logger: Logger
    let runner: ProcessRunner
    let binaries: URL
    /// Where the cluster's files and socket live (see the type's comment).
    let dataDirectory: URL
    let socketDirectory: URL

    init(stateDirectory: URL, logger: Logger) throws {
        self.stateDirectory = stateDirectory.standardizedFileURL
        self.logger = logger
        self.binaries = try Self.findBinaries()
        let owner: (name: String, uid: uid_t, gid: gid_t)?
        if geteuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw HostError("running as root needs the 'postgres' system user to run PostgreSQL: install the Debian package 'postgresql'")
            }
            owner = (Self.superuser, account.pointee.pw_uid, account.pointee.pw_gid)
        } else {
            owner = nil
        }
        self.runner = ProcessRunner(user: owner?.name)

        try Self.makeDirectory(self.stateDirectory, mode: 0o711)
        let localData = self.stateDirectory.appendingPathComponent("pg")
        let base: URL
        if owner == nil || runner.canEnter(self.stateDirectory.path) {
            base = self.stateDirectory
        } else {
            // The postgres user cannot reach ./.crm: keep the cluster where it can.
            let digest = SHA256.hash(data: Data(self.stateDirectory.path.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
            let shared = URL(fileURLWithPath: "/var/lib/crm")
            try Self.makeDirectory(shared, mode: 0o711)
            base = shared.appendingPathComponent(digest)
            try Self.makeDirectory(base, mode: 0o711)
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: localData.path)) == nil {
                try? FileManager.default.removeItem(at: localData)
                try FileManager.default.createSymbolicLink(at: localData, withDestinationURL: base.appendingPathComponent("pg"))
            }
        }
        self.dataDirectory = base.appendingPathComponent("pg")
        // Unix socket paths are limited to 107 bytes; deep working directories use /tmp.
        var socketDirectory = base.appendingPathComponent("run")
        if socketDirectory.path.utf8.count > 80 {
            let digest = SHA256.hash(data: Data(base.path.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
            socketDirectory = URL(fileURLWithPath: "/tmp/crm-pg-\(digest)")
        }
        self.socketDirectory = socketDirectory
        for directory in [dataDirectory, socketDirectory] {
            try Self.makeDirectory(directory, mode: 0o700)
            if let owner { chown(directory.path, owner.uid, owner.gid) }
        }
    }

    var socketPath: String { socketDirectory.appendingPathComponent(".s.PGSQL.5432").path }

    /// Initialises the cluster if needed, starts it (or adopts one already running from an
    /// earlier crash), and makes sure the application role and database exist.
    func start() async throws -> DatabaseURL {
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try initialize()
        }
        removeStaleLockFile()
        let status = try pg("pg_ctl", ["status", "-D", dataDirectory.path])
        if status.status != 0 {
            logger.info("starting embedded PostgreSQL", metadata: ["data": "\(dataDirectory.path)"])
            let options = "-c listen_addresses='' -c unix_socket_directories='\(socketDirectory.path)' -c unix_socket_permissions=0700"
            let started = try pg("pg_ctl", [
                "start", "-D", dataDirectory.path, "-w", "-t", "60", "-s",
                "-l", dataDirectory.appendingPathComponent("server.log").path, "-o", options,
            ])
            guard started.status == 0 else {
                let log = (try? String(contentsOf: dataDirectory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
                let lastLines = log.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw HostError("embedded PostgreSQL did not start: \(started.output) \(lastLines)")
            }
        } else {
            logger.info("reusing the running embedded PostgreSQL", metadata: ["data": "\(dataDirectory.path)"])
        }
        try await provisionApplicationRole()
        return DatabaseURL(
            endpoint: .socket(path: socketPath), username: Self.applicationRole, password: nil,
            database: Self.applicationDatabase)
    }

    /// Stops the cluster, letting in-flight transactions end ("fast" mode rolls them back).
    func stop() {
        let result = try? pg("pg_ctl", ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-s"])
        if result?.status == 0 {
            logger.info("embedded PostgreSQL stopped")
        }
    }

    /// A postmaster killed in a crash leaves `postmaster.pid` (and the socket's lock file)
    /// behind. PostgreSQL itself ignores them when that process is gone, but in containers
    /// without an init process the dead postmaster can linger as a zombie that still "exists";
    /// such lock files are removed here.
    private func removeStaleLockFile() {
        let lockFiles = [
            dataDirectory.appendingPathComponent("postmaster.pid").path,
            socketPath + ".lock",
        ]
        for lockFile in lockFiles {
            guard let text = try? String(contentsOfFile: lockFile, encoding: .utf8),
                let pid = Int32(text.split(separator: "\n").first ?? "")
            else { continue }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first
            if stat.isEmpty || state == "Z" {
                logger.info("removing a stale lock file of a crashed PostgreSQL", metadata: ["file": "\(lockFile)"])
                try? FileManager.default.removeItem(atPath: lockFile)
            }
        }
    }

    private func initialize() throws {
        // A half-made directory from an interrupted initdb has no PG_VERSION: start over.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)) ?? []
        for name in leftovers {
            try FileManager.default.removeItem(at: dataDirectory.appendingPathComponent(name))
        }
        logger.info("initialising embedded PostgreSQL", metadata: ["data": "\(dataDirectory.path)"])
        let result = try pg("initdb", [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth-local=trust", "--auth-host=reject",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions",
        ])
        guard result.status == 0 else {
            throw HostError("initdb failed: \(result.output.split(separator: "\n").suffix(2).joined(separator: " "))")
        }
    }

    /// As the cluster's superuser (trusted only on the private socket): create the
    /// unprivileged application role and its database when missing.
    private func provisionApplicationRole() async throws {
        let configuration = PostgresConnection.Configuration(
            unixSocketPath: socketPath, username: Self.superuser, password: nil, database: "postgres")
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        let role = Self.applicationRole
        try await connection.query(
            """
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(unescaped: role)') THEN
                CREATE ROLE \(unescaped: role) LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
              END IF;
            END $$
            """, logger: logger)
        let exists = try await connection.query(
            "SELECT 1 FROM pg_database WHERE datname = \(Self.applicationDatabase)", logger: logger
        ).collect().count > 0
        if !exists {
            try await connection.query(
                "CREATE DATABASE \(unescaped: Self.applicationDatabase) OWNER \(unescaped: role) ENCODING 'UTF8'", logger: logger)
        }
    }

    private func pg(_ tool: String, _ arguments: [String]) throws -> ProcessRunner.Result {
        try runner.run(binaries.appendingPathComponent(tool).path, arguments)
    }

    /// The newest `/usr/lib/postgresql/<version>/bin`, else the directory of `pg_ctl` on PATH.
    static func findBinaries() throws -> URL {
        let fileManager = FileManager.default
        let versions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions {
            let bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
            if fileManager.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path),
                fileManager.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path)
            {
                return bin
            }
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let bin = URL(fileURLWithPath: String(directory))
            if fileManager.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path),
                fileManager.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path)
            {
                return bin
            }
        }
        throw HostError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package 'postgresql' (apt-get install postgresql), or set DATABASE_URL")
    }

    static func makeDirectory(_ url: URL, mode: Int) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}
