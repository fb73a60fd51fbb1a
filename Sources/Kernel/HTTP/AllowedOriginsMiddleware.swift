import HTTPTypes
import Hummingbird

/// CORS for the configured origins only (`CORS_ORIGINS`). Requests from an allowed origin go
/// through Hummingbird's `CORSMiddleware`; all others get no CORS headers at all, so browsers
/// refuse them.
public struct AllowedOriginsMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext

    let origins: Set<String>
    let cors: CORSMiddleware<CRMRequestContext>

    public init(origins: [String]) {
        self.origins = Set(origins)
        self.cors = CORSMiddleware(
            allowOrigin: .originBased,
            allowHeaders: [.accept, .authorization, .contentType, .origin, .ifMatch, .requestID, .idempotencyKey],
            allowMethods: [.get, .post, .put, .patch, .delete, .head, .options],
            exposedHeaders: ["ETag", "Location", "X-Request-Id", "Retry-After",
                             "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
            maxAge: .seconds(600)
        )
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        return try await cors.handle(request, context: context, next: next)
    }
}
