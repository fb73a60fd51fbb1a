import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (initdb, pg_ctl) to completion, optionally as another user through
/// `runuser`. It uses posix_spawn and waitpid directly: output goes to a temporary file, not a
/// pipe, because `pg_ctl start` leaves a server running that would hold a pipe open forever,
/// and Foundation's `Process` was seen to miss the exit of such a child.
struct ProcessRunner {
    struct Result {
        let status: Int32
        let output: String
    }

    /// The unprivileged account to run as (root cannot run PostgreSQL), or nil for ourselves.
    let user: String?

    func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let argv: [String]
        if let user {
            // `env -C /`: start in a directory the other user can enter (ours may be private to root).
            argv = [try Self.runuserPath(), "-u", user, "--", "/usr/bin/env", "-C", "/", executable] + arguments
        } else {
            argv = [executable] + arguments
        }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw HostError("could not run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: exitCode, output: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `user` can reach and enter `path` (every ancestor must be searchable).
    func canEnter(_ path: String) -> Bool {
        (try? run("/usr/bin/test", ["-x", path]).status) == 0
    }

    static func runuserPath() throws -> String {
        for candidate in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw HostError("runuser not found: install the Debian package 'util-linux' to run PostgreSQL as an unprivileged user")
    }
}
