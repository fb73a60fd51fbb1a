import Hummingbird
import NIOCore

/// Authenticates `Authorization: Bearer …` (an access token or an API key) and applies the rate
/// limits: per IP on `/api/v1/auth/*`, per user or API key on everything authenticated. A
/// missing header leaves the request anonymous (routes that need a principal answer 401); a
/// header that does not authenticate is a 401 at once.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext

    let accessTokens: AccessTokens
    let apiKeys: APIKeys
    let authLimiter: RateLimiter
    let apiLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var decision: RateLimiter.Decision?
        if authLimiter.isEnabled, request.uri.path.hasPrefix("/api/v1/auth/") {
            let ip = context.remoteAddress?.ipAddress ?? "unknown"
            let taken = authLimiter.take("ip:\(ip)")
            guard taken.allowed else { throw APIError.rateLimited(taken) }
            decision = taken
        }
        if let header = request.headers[.authorization] {
            let principal = try await authenticate(header)
            context.principal = principal
            if context.logger.logLevel <= .info { context.logger[metadataKey: "actor"] = .string(principal.actorKey) }
            if apiLimiter.isEnabled, decision == nil {
                let taken = apiLimiter.take(principal.actorKey)
                guard taken.allowed else { throw APIError.rateLimited(taken) }
                decision = taken
            }
        }
        var response = try await next(request, context)
        if let decision { response.headers.append(contentsOf: decision.headers) }
        return response
    }

    func authenticate(_ header: String) async throws -> Principal {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("use Authorization: Bearer <access token or API key>")
        }
        let credential = String(parts[1].drop { $0 == " " })
        if credential.hasPrefix("crm_") {
            guard let principal = try await apiKeys.authenticate(credential) else {
                throw APIError.unauthorized("invalid or revoked API key")
            }
            return principal
        }
        return try await accessTokens.verify(credential)
    }
}
