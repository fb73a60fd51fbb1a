import Crypto
import Foundation

/// Opaque random secrets (refresh tokens, API keys, OAuth state) and the SHA-256 digests they
/// are stored as: the database never holds a usable secret.
public enum SecretToken {
    /// 256 random bits, base64url.
    public static func generate() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Base64URL.encode($0) }
    }

    public static func digest(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}
