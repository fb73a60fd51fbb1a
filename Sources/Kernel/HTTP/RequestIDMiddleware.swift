import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id: a well-formed incoming `X-Request-Id` is kept (so a caller can
/// trace a request across systems), anything else is replaced by a fresh UUID. The id is put on
/// the response (also on error responses) and on every log line of the request.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? UUID().text
        context.requestID = id
        // Changing a logger's metadata is not free (handlers re-render it): only when the
        // request's lines are logged at all.
        if context.logger.logLevel <= .info { context.logger[metadataKey: "request_id"] = .string(id) }
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    /// 1–128 characters of `[A-Za-z0-9._:-]`: long enough for any tracing scheme, nothing that
    /// could inject into logs or headers.
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count) else { return nil }
        let ok = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: ":"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        return ok ? value : nil
    }
}

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
}
