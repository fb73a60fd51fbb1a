import Hummingbird
import Logging

/// One log line per request: method and path. Never the query string — it carries OAuth
/// callbacks' `code` and `state`, and whatever a client puts in a filter — and never headers
/// (Hummingbird's `LogRequestsMiddleware` logs the whole URI).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.logger.logLevel <= .info {
            context.logger.info(
                "Request",
                metadata: ["hb.request.path": .string(request.uri.path), "hb.request.method": .string(request.method.rawValue)])
        }
        return try await next(request, context)
    }
}
