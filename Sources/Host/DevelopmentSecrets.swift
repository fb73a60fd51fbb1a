import Crypto
import Foundation

/// JWT secrets for development, generated on first run and kept (mode 0600) in `./.crm/`, so
/// tokens survive restarts without anyone having to configure secrets on day one.
struct DevelopmentSecrets: Codable {
    let access: String
    let refresh: String

    static func loadOrCreate(in directory: URL) throws -> DevelopmentSecrets {
        let file = directory.appendingPathComponent("secrets.json")
        if let data = try? Data(contentsOf: file), let secrets = try? JSONDecoder().decode(Self.self, from: data) {
            return secrets
        }
        let secrets = DevelopmentSecrets(access: random(), refresh: random())
        try writePrivately(try JSONEncoder().encode(secrets), to: file)
        return secrets
    }

    /// Writes `data` to a file that is private (0600) from the moment it exists — created that
    /// way, not made private afterwards — and moved into place whole.
    static func writePrivately(_ data: Data, to file: URL) throws {
        let temporary = file.path + ".\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw HostError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0, rename(temporary, file.path) == 0 else {
            unlink(temporary)
            throw HostError("cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func random() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
