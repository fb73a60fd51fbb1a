import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/api/v1/auth/*`: register, login, refresh, logout, me, switch (API.md, Auth).
struct AuthRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("auth")
        routes.anonymous("/auth/register", .post, doc: Self.registerDoc) { request, context in try await register(request, context) }
        routes.anonymous("/auth/login", .post, doc: Self.loginDoc) { request, context in try await login(request, context) }
        routes.anonymous("/auth/refresh", .post, doc: Self.refreshDoc) { request, context in try await refresh(request, context) }
        routes.anonymous("/auth/logout", .post, doc: Self.logoutDoc) { request, context in try await logout(request, context) }
        routes.get("/auth/me", requires: .organizationRead, doc: Self.meDoc) { _, _, principal in try await me(principal) }
        routes.post("/auth/switch", requires: .organizationRead, doc: Self.switchDoc) { request, context, principal in
            try await switchOrganization(request, context, principal)
        }
    }

    // MARK: - Documentation

    static var registerDoc: APIOperation {
        let example: JSONValue = [
            "email": "ada@example.com", "password": "correct-horse-battery", "name": "Ada Lovelace",
            "organizationName": "Analytical Engines Ltd",
        ]
        return APIOperation(
            "register", "Create an account and its organization",
            description: """
                Creates the user and a new organization they own (named `organizationName`, else “<name>'s \
                organization”) with the default plugins enabled, and answers with a token pair for it. With an \
                `invitationToken` the user joins the inviting organization with the invited role instead (the email \
                must be the invited one, else 403; an unknown, used, revoked or expired token → 404). Passwords are \
                8 characters to 72 bytes (422 otherwise); an email that is already registered → 409 `conflict`.
                """,
            body: APISchema.ref("RegisterRequest"), status: 201, response: APISchema.ref("TokenPair"),
            errors: [403, 404, 409, 429], example: example)
    }

    static var loginDoc: APIOperation {
        let example: JSONValue = ["email": "ada@example.com", "password": "correct-horse-battery"]
        return APIOperation(
            "login", "Log in with email and password",
            description: """
                Answers a token pair for `organizationId`, else for the user's oldest membership. An unknown email and a \
                wrong password get the same 401 (`invalid email or password`); 403 when the user belongs to no \
                organization or not to `organizationId`.
                """,
            body: APISchema.ref("LoginRequest"), response: APISchema.ref("TokenPair"), errors: [401, 403, 429],
            example: example)
    }

    static var refreshDoc: APIOperation {
        APIOperation(
            "refreshTokens", "Exchange a refresh token for a new token pair",
            description: """
                Rotates: the presented refresh token stops working. Presenting a rotated token again → 401, and every \
                token of that login is revoked.
                """,
            body: APISchema.ref("RefreshRequest"), response: APISchema.ref("TokenPair"), errors: [401, 429])
    }

    static var logoutDoc: APIOperation {
        APIOperation(
            "logout", "Revoke a refresh token",
            description: "Always 204, also for an unknown or already revoked token. Access tokens live out their 15 minutes.",
            body: APISchema.ref("RefreshRequest"), status: 204, errors: [429])
    }

    static var meDoc: APIOperation {
        APIOperation(
            "getMe", "The caller, the current organization and role",
            description: "For an API key, `user` is absent and `memberships` is empty.",
            response: APISchema.ref("Me"))
    }

    static var switchDoc: APIOperation {
        APIOperation(
            "switchOrganization", "Get a token pair for another organization of the user",
            description: "403 when the user is not a member of it, and for API keys.",
            body: APISchema.ref("SwitchRequest"), response: APISchema.ref("TokenPair"))
    }

    struct RegisterBody: Decodable {
        let email: String
        let password: String
        let name: String
        let organizationName: String?
        let invitationToken: String?
    }

    func register(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(
            RegisterBody.self, request, context: context,
            allowedKeys: ["email", "password", "name", "organizationName", "invitationToken"])
        var validator = Validator()
        let email = validator.email("email", body.email) ?? ""
        validator.add(PasswordHasher.problem(with: body.password))
        let name = validator.text("name", body.name) ?? ""
        let orgName = validator.text("organizationName", body.organizationName, required: false) ?? ""
        try validator.check()

        // With an invitation, the new user joins its organization instead of founding one.
        let invited = try body.invitationToken.map(Invitations.organization(of:))
        let hash = try await services.passwords.hash(body.password)
        let userID = UUID()
        let orgID = invited ?? UUID()
        let pair = try await services.database.transaction(TenantScope(organizationID: orgID, userID: userID)) { connection in
            var created = Date()
            do {
                let rows = try await connection.query(
                    "INSERT INTO users (id, email, name, password_hash) VALUES (\(userID), \(email), \(name), \(hash)) RETURNING created_at",
                    logger: logger)
                for try await date in rows.decode(Date.self) { created = date }
            } catch where SQLState.isUniqueViolation(error) {
                throw APIError(.conflict, "an account with this email already exists",
                               errors: [FieldError(field: "email", code: "taken", message: "is already registered")])
            }
            let user = UserView(id: userID.text, email: email, name: name, createdAt: created)
            if let token = body.invitationToken {
                let role = try await services.invitations.accept(token, userID: userID, email: email, on: connection)
                let organization = try await services.organization(orgID, on: connection)
                return try await services.tokenPair(user: user, organization: organization, role: role, on: connection)
            }
            let organization = try await services.createOrganization(
                id: orgID, name: orgName.isEmpty ? "\(name)'s organization" : orgName, currency: "USD",
                ownerID: userID, on: connection)
            return try await services.tokenPair(user: user, organization: organization, role: .owner, on: connection)
        }
        if invited != nil { services.memberships.invalidate(orgID) }
        return try JSONResponse.secret(.created, pair)
    }

    struct LoginBody: Decodable {
        let email: String
        let password: String
        let organizationId: String?
    }

    func login(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(
            LoginBody.self, request, context: context, allowedKeys: ["email", "password", "organizationId"])
        // Identical answer for every way the credentials can be wrong.
        let rejected = APIError.unauthorized("invalid email or password")
        guard body.email.utf8.count <= 320, body.password.utf8.count <= 1024 else { throw rejected }
        let wantedOrg: UUID?
        if let raw = body.organizationId {
            guard let id = UUID(text: raw) else {
                throw APIError.validation([FieldError(field: "organizationId", code: "invalid", message: "must be a UUID")])
            }
            wantedOrg = id
        } else {
            wantedOrg = nil
        }
        let email = body.email.trimmingCharacters(in: .whitespaces).lowercased()
        let account = try await services.database.withScope(.none) { connection -> (UUID, String?)? in
            let rows = try await connection.query(
                "SELECT id, password_hash FROM users WHERE lower(email) = \(email)", logger: logger)
            for try await (id, hash) in rows.decode((UUID, String?).self) { return (id, hash) }
            return nil
        }
        guard try await services.passwords.verify(body.password, against: account?.1), let userID = account?.0 else {
            throw rejected
        }
        let pair = try await services.database.transaction(TenantScope(userID: userID)) { connection in
            let organizations = try await services.memberships(of: userID, on: connection)
            let chosen = wantedOrg.map { id in organizations.first { $0.id == id.text } } ?? organizations.first
            guard let organization = chosen, let role = organization.role.flatMap(Role.init(rawValue:)),
                let user = try await services.user(userID, on: connection)
            else {
                throw APIError.forbidden(wantedOrg == nil ? "this account belongs to no organization" : "not a member of that organization")
            }
            return try await services.tokenPair(user: user, organization: organization, role: role, on: connection)
        }
        return try JSONResponse.secret(.ok, pair)
    }

    struct RefreshBody: Decodable {
        let refreshToken: String
    }

    func refresh(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshBody.self, request, context: context, allowedKeys: ["refreshToken"])
        let rejected = APIError.unauthorized("invalid, expired or revoked refresh token")
        guard body.refreshToken.utf8.count <= 512 else { throw rejected }
        // One transaction from the lookup to the new token: the presented token's row stays
        // locked until the new one is committed, so a concurrent reuse of it (which revokes the
        // family) waits and then revokes the new token too. A reuse's revocation, or the end of
        // a login whose membership is gone, commits with it before the 401.
        let pair = try await services.database.transaction(.none) { connection -> TokenPairView? in
            let rotation = try await services.refreshTokens.consume(body.refreshToken, on: connection)
            guard case .rotated(let userID, let orgID, let family) = rotation else { return nil }
            try await TenantScope(userID: userID).applyLocally(on: connection, logger: logger)
            let organizations = try await services.memberships(of: userID, on: connection)
            guard let organization = organizations.first(where: { $0.id == orgID.text }),
                let role = organization.role.flatMap(Role.init(rawValue:)),
                let user = try await services.user(userID, on: connection)
            else {
                try await services.refreshTokens.revokeFamily(family, on: connection)
                return nil
            }
            return try await services.tokenPair(user: user, organization: organization, role: role, family: family, on: connection)
        }
        guard let pair else { throw rejected }
        return try JSONResponse.secret(.ok, pair)
    }

    func logout(_ request: Request, _ context: CRMRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshBody.self, request, context: context, allowedKeys: ["refreshToken"])
        if body.refreshToken.utf8.count <= 512 {
            try await services.database.withScope(.none) { connection in
                try await services.refreshTokens.revoke(body.refreshToken, on: connection)
            }
        }
        return JSONResponse.noContent()
    }

    struct MeView: Encodable {
        let user: UserView?
        let organization: OrganizationView
        let role: String
        let memberships: [MembershipView]
    }

    func me(_ principal: Principal) async throws -> Response {
        let view = try await services.database.withScope(principal.scope) { connection -> MeView in
            var organizations: [OrganizationView] = []
            var user: UserView?
            if let userID = principal.userID {
                user = try await services.user(userID, on: connection)
                organizations = try await services.memberships(of: userID, on: connection)
            }
            let current = try await services.organization(principal.organizationID, on: connection)
            return MeView(
                user: user, organization: current, role: principal.role.rawValue,
                memberships: organizations.map { MembershipView(organization: $0, role: $0.role ?? "") })
        }
        return try JSONResponse.make(.ok, view)
    }

    struct SwitchBody: Decodable {
        let organizationId: String
    }

    func switchOrganization(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(SwitchBody.self, request, context: context, allowedKeys: ["organizationId"])
        guard let target = UUID(text: body.organizationId) else {
            throw APIError.validation([FieldError(field: "organizationId", code: "invalid", message: "must be a UUID")])
        }
        guard let userID = principal.userID else { throw APIError.forbidden("API keys cannot switch organizations") }
        let pair = try await services.database.transaction(TenantScope(userID: userID)) { connection in
            let organizations = try await services.memberships(of: userID, on: connection)
            guard let organization = organizations.first(where: { $0.id == target.text }),
                let role = organization.role.flatMap(Role.init(rawValue:)),
                let user = try await services.user(userID, on: connection)
            else { throw APIError.forbidden("not a member of that organization") }
            return try await services.tokenPair(user: user, organization: organization, role: role, on: connection)
        }
        return try JSONResponse.secret(.ok, pair)
    }
}
