import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real `crm` process for end-to-end tests: spawned with its own environment and working
/// directory, its output captured to a file, its port read from the "listening" log line.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: the pid and paths are set once in init; methods only read them.
    public let pid: pid_t
    public let outputPath: String
    public private(set) var port: Int = 0
    private var exitStatus: Int32?

    /// The `crm` binary built by the test script (`CRM_BINARY`), else the debug build.
    public static var binaryPath: String {
        let path = ProcessInfo.processInfo.environment["CRM_BINARY"] ?? ".build/debug/crm"
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Starts `crm <arguments>` with exactly `environment` (plus PATH) in `directory`.
    public init(arguments: [String], environment: [String: String], directory: String) throws {
        outputPath = NSTemporaryDirectory() + "crm-test-\(UUID().uuidString).log"
        var env = environment
        env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
        env["LOG_FORMAT"] = env["LOG_FORMAT"] ?? "text"
        let argv = [Self.binaryPath] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let cwd = FileManager.default.currentDirectoryPath
        // posix_spawn has no portable chdir: change ours around the spawn (tests in one
        // process may race here, so it is serialised).
        let result: Int32 = Self.spawnLock.withLock {
            chdir(directory)
            defer { chdir(cwd) }
            return posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        }
        guard result == 0 else { throw TestSetupError("cannot spawn \(argv[0]): \(String(cString: strerror(result)))") }
        self.pid = pid
        Self.reaper.track(pid)
    }

    /// Servers still running when the test process exits (shared ones live that long) are
    /// stopped then, so no `crm` outlives its test run.
    private static let reaper = Reaper()

    private final class Reaper: @unchecked Sendable {
        // @unchecked: the pid list is guarded by its lock.
        private let lock = NSLock()
        private var pids: [pid_t] = []

        init() {
            atexit {
                ServerProcess.reaper.killAll()
            }
        }

        func track(_ pid: pid_t) { lock.withLock { pids.append(pid) } }

        func killAll() {
            for pid in lock.withLock({ pids }) { kill(pid, SIGTERM) }
        }
    }

    private static let spawnLock = NSLock()

    /// Convenience: `crm serve` against `databaseURL` on an ephemeral port, waiting until it listens.
    public static func serve(
        databaseURL: String?, extraEnvironment: [String: String] = [:], directory: String? = nil
    ) async throws -> ServerProcess {
        // Few connections kept: the suite runs ~30 servers against one PostgreSQL (max_connections 300).
        var env = ["PORT": "0", "RATE_LIMIT_AUTH": "0", "RATE_LIMIT_API": "0", "BCRYPT_COST": "10", "DATABASE_POOL_SIZE": "2"]
        if let databaseURL { env["DATABASE_URL"] = databaseURL }
        env.merge(extraEnvironment) { _, new in new }
        let server = try ServerProcess(arguments: ["serve"], environment: env, directory: directory ?? NSTemporaryDirectory())
        try await server.waitForListening()
        return server
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Waits for the log line naming the address, up to `timeout`.
    public func waitForListening(timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = output.firstMatch(of: /address[=":]+http:\/\/[0-9.]+:(\d+)/), let port = Int(match.1) {
                self.port = port
                return
            }
            if hasExited() {
                throw TestSetupError("crm exited (\(exitStatus ?? -1)) before listening:\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("crm did not listen within \(timeout):\n\(output)")
    }

    /// Polls `/readyz` until 200.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = try? await HTTP.request(.GET, baseURL + "/readyz"), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("crm was not ready within \(timeout):\n\(output)")
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Reaps the process if it has exited; remembers its exit status.
    public func hasExited() -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return true
        }
        return false
    }

    /// Waits for the process to end and returns its exit status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if hasExited() { return exitStatus ?? -1 }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("crm did not exit within \(timeout):\n\(output)")
    }

    /// SIGTERM and wait: the way every test ends its server.
    public func stop() async throws {
        guard !hasExited() else { return }
        signal(SIGTERM)
        try await waitForExit()
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        unlink(outputPath)
    }
}
