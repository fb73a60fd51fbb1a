import HTTPTypes
import Hummingbird
import Logging

/// Renders every error thrown below it as one `application/problem+json` response: `APIError`s
/// as they are, the record store's `RecordError`s as their problems, Hummingbird's own errors (unknown route, body too large, …) mapped onto API.md's
/// codes, and anything else as a 500 whose body says nothing about the cause (the cause goes to
/// the log, under the request id).
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext

    /// The methods a path is served with: an unknown route whose path is served with other
    /// methods is a 405 with `Allow`, not a 404.
    let methodsServing: @Sendable (String) -> [HTTPRequest.Method]

    public init(methodsServing: @escaping @Sendable (String) -> [HTTPRequest.Method] = { _ in [] }) {
        self.methodsServing = methodsServing
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, request: request, logger: context.logger)
            if (error as? HTTPError)?.status == .notFound || (error as? HTTPError)?.status == .methodNotAllowed {
                let allowed = methodsServing(request.uri.path)
                if !allowed.isEmpty {
                    problem = APIError(.methodNotAllowed, "\(request.method) is not supported on \(request.uri.path)")
                    problem.headers[.allow] = (allowed.contains(.get) ? allowed + [.head] : allowed).map(\.rawValue).joined(separator: ", ")
                }
            }
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, request: Request, logger: Logger) -> APIError {
        if let apiError = error as? APIError { return apiError }
        if let recordError = error as? RecordError { return APIError(recordError) }
        if let httpError = error as? HTTPError {
            return translate(httpError, request: request)
        }
        if let responseError = error as? any HTTPResponseError, responseError.status.code < 500 {
            return APIError(code(for: responseError.status), responseError.status.reasonPhrase)
        }
        if SQLState.isTransient(error) {
            logger.warning("database unavailable", metadata: ["error": "\(PostgresErrorText.describe(error))"])
            return APIError(.unavailable, "the database is unavailable or busy; retry shortly", headers: [.retryAfter: "1"])
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
            problem = APIError(.methodNotAllowed, "\(request.method) is not supported on \(request.uri.path)")
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
        case 405: return .methodNotAllowed
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
