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
        try JSONEncoder().encode(secrets).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return secrets
    }

    private static func random() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
