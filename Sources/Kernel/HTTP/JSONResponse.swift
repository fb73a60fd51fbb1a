import Foundation
import Hummingbird

/// JSON responses in the API's conventions: camelCase keys as declared, RFC 3339 UTC times.
public enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func make(_ status: HTTPResponse.Status = .ok, _ body: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try encoder.encode(body)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An answer that carries a token or a key: `Cache-Control: no-store`, so no browser or
    /// proxy cache keeps it (API.md, Auth).
    public static func secret(_ status: HTTPResponse.Status = .ok, _ body: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.cacheControl] = "no-store"
        return try make(status, body, headers: fields)
    }

    public static func noContent() -> Response { Response(status: .noContent) }
}

/// `{"data": [...]}`, the envelope of every collection answer (API.md, Lists).
public struct DataEnvelope<Item: Encodable>: Encodable {
    public let data: [Item]
    public init(_ data: [Item]) { self.data = data }
}
