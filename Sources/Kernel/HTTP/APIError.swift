import Foundation
import HTTPTypes
import Hummingbird

/// The one error type of the HTTP layer: a status, a stable `code`, and the RFC 9457 members.
/// Thrown anywhere below a route and rendered as `application/problem+json` by `ProblemMiddleware`.
public struct APIError: Error, Sendable, HTTPResponseError {
    public var code: ErrorCode
    public var detail: String
    public var errors: [FieldError]
    /// Extension members (for example `script`, `event`, `line` of a script error).
    public var extensions: [String: JSONValue]
    /// Extra response headers (for example `Retry-After` on 429).
    public var headers: HTTPFields

    public init(
        _ code: ErrorCode,
        _ detail: String,
        errors: [FieldError] = [],
        extensions: [String: JSONValue] = [:],
        headers: HTTPFields = [:]
    ) {
        self.code = code
        self.detail = detail
        self.errors = errors
        self.extensions = extensions
        self.headers = headers
    }

    public var status: HTTPResponse.Status { code.status }

    public static func badRequest(_ detail: String) -> APIError { APIError(.badRequest, detail) }
    public static func notFound(_ detail: String = "resource not found") -> APIError { APIError(.notFound, detail) }
    public static func conflict(_ detail: String) -> APIError { APIError(.conflict, detail) }
    public static func unauthorized(_ detail: String = "authentication required") -> APIError { APIError(.unauthorized, detail) }
    public static func forbidden(_ detail: String = "not allowed") -> APIError { APIError(.forbidden, detail) }
    public static func validation(_ errors: [FieldError], detail: String? = nil) -> APIError {
        let text = detail ?? (errors.count == 1 ? "\(errors[0].field): \(errors[0].message)" : "\(errors.count) fields are invalid")
        return APIError(.validationFailed, text, errors: errors)
    }
    /// The problem in one line (scripts' errors, the CLI): the detail, then each field's
    /// message when there are several (one is the detail already).
    public var oneLine: String {
        guard errors.count > 1 else { return detail }
        return "\(detail) (\(errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")))"
    }

    public static func internalError() -> APIError { APIError(.internalError, "an internal error occurred") }

    /// The problem document's JSON bytes; keys are sorted so equal problems are byte-identical.
    public func body() -> ByteBuffer {
        var object: [String: JSONValue] = extensions
        object["type"] = .string("about:blank")
        object["title"] = .string(code.title)
        object["status"] = .number(Double(status.code))
        object["detail"] = .string(detail)
        object["code"] = .string(code.rawValue)
        if !errors.isEmpty {
            object["errors"] = .array(errors.map {
                .object(["field": .string($0.field), "code": .string($0.code), "message": .string($0.message)])
            })
        }
        return ByteBuffer(string: JSONValue.object(object).serialized())
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: body()))
    }
}
