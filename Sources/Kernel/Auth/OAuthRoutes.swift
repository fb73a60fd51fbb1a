import Crypto
import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/auth/oauth/{provider}` and its callback: the authorization code flow with `state` (single
/// use, 10 minutes) and PKCE S256. A provider without client id and secret is not offered (404).
struct OAuthRoutes {
    static let stateLifetime: TimeInterval = 600

    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("auth")
        routes.anonymous("/auth/providers", .get, doc: Self.providersDoc) { _, _ in
            let offered = Self.names.filter { services.configuration.oauthProviders[$0.id] != nil }
            return try JSONResponse.make(.ok, DataEnvelope(offered))
        }
        routes.anonymous("/auth/oauth/:provider", .get, doc: Self.startDoc) { request, context in try await start(request, context) }
        routes.anonymous("/auth/oauth/:provider/callback", .get, doc: Self.callbackDoc) { request, context in
            try await callback(request, context)
        }
    }

    struct ProviderView: Encodable, Sendable {
        let id: String
        let name: String
    }

    /// The providers this server knows, in the order a sign-in page shows them.
    static let names = [ProviderView(id: "google", name: "Google"), ProviderView(id: "github", name: "GitHub")]

    // MARK: - Documentation

    static var providersDoc: APIOperation {
        let provider = JSONSchema.object(properties: [
            "id": .string(allowedValues: ["google", "github"]), "name": .string(examples: ["GitHub"]),
        ])
        return APIOperation(
            "listAuthProviders", "The identity providers this server offers",
            description: "Those whose client id and secret are both configured; `{data: []}` when none is.",
            response: APISchema.list(of: provider), errors: [429])
    }

    static var providerParameter: OpenAPI.Parameter {
        .path(
            name: "provider", schema: .string(allowedValues: ["google", "github"]),
            description: "The identity provider; one without configured credentials → 404.")
    }

    static var startDoc: APIOperation {
        APIOperation(
            "startOAuth", "Start signing in with an identity provider",
            description: """
                Redirects (302) to the provider's authorization page, its URL in `Location`, with a single-use `state` \
                (10 minutes) and a PKCE `code_challenge` (S256). The provider sends the browser back to \
                `/api/v1/auth/oauth/{provider}/callback`.
                """,
            status: 302, response: nil, responseHeaders: ["Location"],
            parameters: [
                providerParameter,
                APIParameters.query(
                    "returnTo", .string(maxLength: 512, pattern: "^/[^/\\\\#][!-~]*$|^/$"),
                    "A path on this server (e.g. `/admin/oauth`) the callback then redirects to, with the tokens — or `error=<code>` — in the URL fragment; anything else → 400."),
            ],
            errors: [400, 429])
    }

    static var callbackDoc: APIOperation {
        APIOperation(
            "oauthCallback", "Finish signing in with an identity provider",
            description: """
                With a `returnTo` given to the start, answers 302 to `returnTo#accessToken=…&refreshToken=…&expiresIn=900` \
                (or `returnTo#error=<code>`) instead of the JSON below. \
                Exchanges the code and answers a token pair for the user's oldest membership: the user with this \
                identity, else the one with the provider's verified email (now linked) when that account's email was \
                itself proven by a provider sign-in, else a new user owning a new organization. An account registered \
                with a password and the same email is not linked: 409 (sign in with the password). A missing, unknown, \
                used or expired `state`, a refused code or an unverified email → 400.
                """,
            response: APISchema.ref("TokenPair"),
            parameters: [
                providerParameter,
                APIParameters.query("code", .string(maxLength: 2048), "The authorization code (absent when the provider reports `error`)."),
                APIParameters.query("state", .string(maxLength: 256), "The `state` of the redirect.", required: true),
                APIParameters.query("error", .string, "Set by the provider when the sign-in was not completed (→ 400)."),
            ],
            errors: [400, 403, 409, 429])
    }

    func provider(_ context: CRMRequestContext) throws -> OAuthProvider {
        let id = context.parameters.get("provider") ?? ""
        guard let settings = services.configuration.oauthProviders[id] else {
            throw APIError.notFound("sign-in with '\(id)' is not configured")
        }
        return OAuthProvider(
            id: id, settings: settings,
            redirectURI: "\(services.configuration.publicURL)/api/v1/auth/oauth/\(id)/callback")
    }

    /// A `returnTo` is a path on this server: one `/`, then no second `/` or `\` (those would make
    /// it another host), printable ASCII, at most 512 bytes. Anything else could send the tokens
    /// to another site.
    static func returnPath(_ raw: String) -> String? {
        guard raw.utf8.count <= 512, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.hasPrefix("/\\"),
            raw.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "#") })
        else { return nil }
        return raw
    }

    func start(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let provider = try provider(context)
        var returnTo: String?
        if let raw = request.uri.queryParameters.get("returnTo") {
            guard let path = Self.returnPath(String(raw)) else {
                throw APIError.badRequest("returnTo must be a path on this server, such as /admin/oauth")
            }
            returnTo = path
        }
        let state = SecretToken.generate()
        let verifier = SecretToken.generate()
        let challenge = Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
        let expires = Date().addingTimeInterval(Self.stateLifetime)
        try await services.database.withScope(.none) { connection in
            try await connection.query("DELETE FROM oauth_states WHERE expires_at < now()", logger: logger)
            try await connection.query(
                """
                INSERT INTO oauth_states (state_hash, provider, code_verifier, expires_at, return_to)
                VALUES (\(SecretToken.digest(state)), \(provider.id), \(verifier), \(expires), \(returnTo))
                """, logger: logger)
        }
        return Response(
            status: .found,
            headers: [.location: provider.authorizationURL(state: state, codeChallenge: challenge), .cacheControl: "no-store"])
    }

    func callback(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let provider = try provider(context)
        let query = request.uri.queryParameters
        guard let state = query.get("state"), state.utf8.count <= 256 else {
            throw APIError.badRequest("code and state are required")
        }
        // Single use: the state row is deleted whether or not it is still valid.
        let stored = try await services.database.withScope(.none) { connection -> (verifier: String?, returnTo: String?)? in
            let rows = try await connection.query(
                """
                DELETE FROM oauth_states WHERE state_hash = \(SecretToken.digest(String(state))) AND provider = \(provider.id)
                RETURNING code_verifier, expires_at > now(), return_to
                """, logger: logger)
            for try await (verifier, live, returnTo) in rows.decode((String, Bool, String?).self) { return (live ? verifier : nil, returnTo) }
            return nil
        }
        let returnTo = stored?.returnTo
        do {
            if let error = query.get("error") {
                throw APIError.badRequest("the \(provider.id) sign-in was not completed: \(error.prefix(100))")
            }
            guard let code = query.get("code"), code.utf8.count <= 2048 else { throw APIError.badRequest("code and state are required") }
            guard let verifier = stored?.verifier else { throw APIError.badRequest("unknown, used or expired state") }
            let pair = try await signIn(provider, code: String(code), verifier: verifier)
            guard let returnTo else { return try JSONResponse.secret(.ok, pair) }
            // Tokens in the fragment: browsers never send it to a server, so no log or proxy sees it.
            let fragment = "accessToken=\(pair.accessToken)&refreshToken=\(pair.refreshToken)&expiresIn=\(pair.expiresIn)"
            return Response(status: .found, headers: [.location: "\(returnTo)#\(fragment)", .cacheControl: "no-store"])
        } catch let error as APIError {
            guard let returnTo else { throw error }
            return Response(status: .found, headers: [.location: "\(returnTo)#error=\(error.code.rawValue)", .cacheControl: "no-store"])
        }
    }

    /// The token pair of the provider's user (linked or created), for their oldest membership.
    func signIn(_ provider: OAuthProvider, code: String, verifier: String) async throws -> TokenPairView {
        let token = try await provider.exchange(code: code, verifier: verifier)
        let profile = try await provider.profile(accessToken: token)
        let userID = try await linkOrCreateUser(profile, provider: provider.id)
        return try await services.database.transaction(TenantScope(userID: userID)) { connection in
            let organizations = try await services.memberships(of: userID, on: connection)
            guard let organization = organizations.first, let role = organization.role.flatMap(Role.init(rawValue:)),
                let user = try await services.user(userID, on: connection)
            else { throw APIError.forbidden("this account belongs to no organization") }
            return try await services.tokenPair(user: user, organization: organization, role: role, on: connection)
        }
    }

    /// The user of this identity; else the user with this email, now linked, if that account's
    /// email was itself proven by a provider sign-in (409 for a password account); else a new
    /// user owning a new organization.
    func linkOrCreateUser(_ profile: OAuthProfile, provider: String) async throws -> UUID {
        let newUser = UUID()
        let newOrg = UUID()
        return try await services.database.transaction(TenantScope(organizationID: newOrg, userID: newUser)) { connection in
            let linked = try await connection.query(
                "SELECT user_id FROM oauth_identities WHERE provider = \(provider) AND subject = \(profile.subject)", logger: logger)
            for try await id in linked.decode(UUID.self) { return id }

            let existing = try await connection.query(
                "SELECT id, email_verified FROM users WHERE lower(email) = \(profile.email)", logger: logger)
            var userID: UUID?
            for try await (id, proven) in existing.decode((UUID, Bool).self) {
                // Whoever registered this email with a password never proved they own it: linking
                // would hand their account to the provider's user, or let a squatter who
                // registered first read the real owner's data later (pre-registration takeover).
                guard proven else {
                    throw APIError.conflict("an account with this email exists; sign in with its password instead")
                }
                userID = id
            }
            if userID == nil {
                let name = String(profile.name.prefix(200))
                try await connection.query(
                    "INSERT INTO users (id, email, name, email_verified) VALUES (\(newUser), \(profile.email), \(name), true)",
                    logger: logger)
                _ = try await services.createOrganization(
                    id: newOrg, name: "\(name)'s organization", currency: "USD", ownerID: newUser, on: connection)
                userID = newUser
            }
            let id = userID ?? newUser
            try await connection.query(
                "INSERT INTO oauth_identities (provider, subject, user_id, email) VALUES (\(provider), \(profile.subject), \(id), \(profile.email))",
                logger: logger)
            return id
        }
    }
}
