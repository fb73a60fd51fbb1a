import Hummingbird
import NIOCore

/// Authenticates `Authorization: Bearer …` (an access token or an API key) and applies the per
/// user or API key rate limit (the per-IP limit of `/auth/*` is the matched route's, see
/// `APIRoutes`). A missing header leaves the request anonymous (routes that need a principal
/// answer 401); a header that does not authenticate is a 401 at once.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext

    let accessTokens: AccessTokens
    let apiKeys: APIKeys
    let memberships: MembershipRoles
    /// The methods a path is served with: a request no route serves is answered 404/405 by the
    /// router whatever its credentials (a method is refused before a token).
    let methodsServing: @Sendable (String) -> [HTTPRequest.Method]
    let apiLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var decision: RateLimiter.Decision?
        if let header = request.headers[.authorization] {
            let principal: Principal
            do {
                principal = try await authenticate(header)
            } catch let error as APIError where error.code == .unauthorized {
                guard methodsServing(request.uri.path).contains(request.method) else { return try await next(request, context) }
                throw error
            }
            context.principal = principal
            if context.logger.logLevel <= .info { context.logger[metadataKey: "actor"] = .string(principal.actorKey) }
            if apiLimiter.isEnabled {
                let taken = apiLimiter.take(principal.actorKey)
                guard taken.allowed else { throw APIError.rateLimited(taken) }
                decision = taken
            }
        }
        let response = try await next(request, context)
        // A route's own limit (the per-IP one of /auth/*) set its headers already.
        return response.headers[.rateLimitLimit] == nil ? response.adding(decision) : response
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
        return try await currentRole(of: try await accessTokens.verify(credential))
    }

    /// The token's principal with the role the user holds now (API.md: revocation is
    /// immediate); 401 once they are no longer a member of the token's organization.
    func currentRole(of principal: Principal) async throws -> Principal {
        guard let userID = principal.userID else { return principal }
        guard let role = try await memberships.role(of: userID, in: principal.organizationID) else {
            throw APIError.unauthorized("no longer a member of this organization")
        }
        return role == principal.role ? principal : Principal(kind: principal.kind, organizationID: principal.organizationID, role: role)
    }
}
