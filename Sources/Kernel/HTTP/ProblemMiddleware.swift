import HTTPTypes
import Hummingbird
import Logging

/// Renders every error thrown below it as one `application/problem+json` response: `APIError`s
/// as they are, Hummingbird's own errors (unknown route, body too large, …) mapped onto API.md's
/// codes, and anything else as a 500 whose body says nothing about the cause (the cause goes to
/// the log, under the request id).
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, request: request, logger: context.logger)
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, request: Request, logger: Logger) -> APIError {
        if let apiError = error as? APIError { return apiError }
        if let httpError = error as? HTTPError {
            return translate(httpError, request: request)
        }
        if let responseError = error as? any HTTPResponseError, responseError.status.code < 500 {
            return APIError(code(for: responseError.status), responseError.status.reasonPhrase)
        }
        logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        return .internalError()
    }

    static func translate(_ error: HTTPError, request: Request) -> APIError {
        var problem: APIError
        switch error.status {
        case .notFound:
            problem = APIError(.notFound, "no route for \(request.method) \(request.uri.path)")
        case .contentTooLarge:
            problem = APIError(.payloadTooLarge, "request body exceeds \(RequestLimits.maxBodyBytes) bytes")
        case .methodNotAllowed:
            problem = APIError(.notFound, "\(request.method) is not supported on \(request.uri.path)")
        default:
            let detail = error.body ?? error.status.reasonPhrase
            problem = APIError(code(for: error.status), error.status.code >= 500 ? "an internal error occurred" : detail)
        }
        problem.headers.append(contentsOf: error.headers)
        return problem
    }

    static func code(for status: HTTPResponse.Status) -> ErrorCode {
        switch status.code {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 412: return .preconditionFailed
        case 413: return .payloadTooLarge
        case 415: return .unsupportedMediaType
        case 422: return .validationFailed
        case 429: return .rateLimited
        case 400..<500: return .badRequest
        default: return .internalError
        }
    }
}
