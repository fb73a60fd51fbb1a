import ExtrasBase64
import Foundation

/// base64url without padding (RFC 4648 §5), as JWTs, opaque tokens and list cursors use it;
/// swift-extras-base64 (jwt-kit's own) does the work.
public enum Base64URL {
    static let encoding: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    static let decoding: Base64.DecodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]

    public static func encode(_ data: some Sequence<UInt8>) -> String {
        Base64.encodeToString(bytes: Array(data), options: encoding)
    }

    /// `nil` for text that is not base64url.
    public static func decode(_ text: String) -> Data? {
        (try? Base64.decode(string: text, options: decoding)).map { Data($0) }
    }
}
