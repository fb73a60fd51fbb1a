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

    /// `<prefix><secret>_<organization id, hex>`: a secret that names its tenant, so the lookup
    /// of its digest runs in that tenant's scope (row-level security applies to it too). API
    /// keys (`crm_`) and invitation tokens (`inv_`) are made so.
    public static func generate(prefix: String, organizationID: UUID) -> String {
        "\(prefix)\(generate())_\(organizationID.text.replacingOccurrences(of: "-", with: ""))"
    }

    /// The organization a `generate(prefix:organizationID:)` token names, if it is shaped so.
    public static func organization(of token: String, prefix: String) -> UUID? {
        guard token.hasPrefix(prefix), token.utf8.count == prefix.utf8.count + 43 + 1 + 32,
            token.dropLast(32).hasSuffix("_")
        else { return nil }
        let hex = Array(token.suffix(32))
        let dashed = String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
        return UUID(text: dashed)
    }
}
