import HTTPTypes
import Hummingbird

/// Puts API.md's security headers on every response. API responses get a policy that allows
/// nothing; the documentation pages get one that allows only the server's own assets.
public struct SecurityHeadersMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext

    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"
    static let pagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    /// Path prefixes served as pages for people rather than JSON for programs.
    let pagePrefixes: [String]

    public init(pagePrefixes: [String] = ["/docs"]) {
        self.pagePrefixes = pagePrefixes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        let isPage = pagePrefixes.contains { request.uri.path.hasPrefix($0) }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.contentSecurityPolicy] = isPage ? Self.pagePolicy : Self.apiPolicy
        return response
    }
}

extension HTTPField.Name {
    public static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    public static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
