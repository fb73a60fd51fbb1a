import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import Synchronization
import Testing
import TestSupport

/// A small GitHub stand-in on loopback: it issues an access token only for a known code whose
/// PKCE verifier hashes to the challenge the CRM sent in the authorization redirect.
final class FakeGitHub: Sendable {
    struct Grant: Sendable {
        let challenge: String
        let redirectURI: String
        let email: String
        let subject: Int
    }

    let grants = Mutex<[String: Grant]>([:])
    let tokenRequests = Mutex(0)

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/login/oauth/access_token") { request, _ -> Response in
            self.tokenRequests.withLock { $0 += 1 }
            let body = try await request.body.collect(upTo: 1 << 16)
            let form = Self.parseForm(String(buffer: body))
            guard form["client_id"] == "gh-client", form["client_secret"] == "gh-secret",
                form["grant_type"] == "authorization_code",
                let code = form["code"], let grant = self.grants.withLock({ $0.removeValue(forKey: code) }),
                form["redirect_uri"] == grant.redirectURI,
                let verifier = form["code_verifier"],
                Base64URL.encode(SHA256.hash(data: Data(verifier.utf8))) == grant.challenge
            else {
                return Self.json(#"{"error":"bad_verification_code"}"#, status: .badRequest)
            }
            return Self.json(#"{"access_token":"gho_\#(grant.subject)","token_type":"bearer"}"#)
        }
        router.get("/user") { request, _ -> Response in
            let subject = request.headers[.authorization]?.replacingOccurrences(of: "Bearer gho_", with: "") ?? "0"
            return Self.json(#"{"id":\#(subject),"login":"octo\#(subject)","name":"Octo Cat"}"#)
        }
        router.get("/user/emails") { request, _ -> Response in
            let subject = Int(request.headers[.authorization]?.replacingOccurrences(of: "Bearer gho_", with: "") ?? "") ?? 0
            let email = self.grants.withLock { _ in self.emails.withLock { $0[subject] } } ?? "unknown@example.com"
            return Self.json(#"[{"email":"secondary@example.com","primary":false,"verified":true},{"email":"\#(email)","primary":true,"verified":true}]"#)
        }
        return router
    }

    let emails = Mutex<[Int: String]>([:])

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if parts.count == 2 { result[parts[0]] = parts[1] }
        }
        return result
    }
}

@Suite struct OAuthTests {
    /// Runs `body` with a CRM server whose GitHub endpoints point at a live `FakeGitHub`.
    func withGitHub(_ body: @escaping @Sendable (FakeGitHub, ServerProcess) async throws -> Void) async throws {
        let fake = FakeGitHub()
        let app = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let provider = "http://127.0.0.1:\(port)"
            let database = try await TestDatabase.create()
            let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: [
                "OAUTH_GITHUB_CLIENT_ID": "gh-client", "OAUTH_GITHUB_CLIENT_SECRET": "gh-secret",
                "OAUTH_GITHUB_AUTH_URL": provider + "/login/oauth/authorize",
                "OAUTH_GITHUB_TOKEN_URL": provider + "/login/oauth/access_token",
                "OAUTH_GITHUB_USER_URL": provider + "/user", "OAUTH_GITHUB_EMAILS_URL": provider + "/user/emails",
            ])
            try await server.waitUntilReady()
            try await body(fake, server)
            try await server.stop()
        }
    }

    /// Follows the CRM's redirect as the provider would: approves with a code for `email`.
    func authorize(
        _ fake: FakeGitHub, _ server: ServerProcess, email: String, subject: Int, returnTo: String? = nil
    ) async throws -> (code: String, state: String) {
        let start = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github" + (returnTo.map { "?returnTo=\($0)" } ?? ""))
        #expect(start.status == 302)
        let location = try #require(start.header("Location").flatMap { URLComponents(string: $0) })
        let query = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["code_challenge_method"] == "S256")
        #expect(query["client_id"] == "gh-client")
        let code = "code-\(UUID().uuidString.prefix(8))"
        fake.emails.withLock { $0[subject] = email }
        fake.grants.withLock {
            $0[code] = .init(challenge: query["code_challenge"] ?? "", redirectURI: query["redirect_uri"] ?? "", email: email, subject: subject)
        }
        return (code, query["state"] ?? "")
    }

    @Test func aNewGitHubUserGetsAnAccountAndOrganization() async throws {
        try await withGitHub { fake, server in
            let (code, state) = try await authorize(fake, server, email: "octo-\(UUID().uuidString.prefix(6))@example.com", subject: 7001)
            let callback = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(code)&state=\(state)")
            #expect(callback.status == 200, "\(callback.text)")
            #expect(callback.json?["organization"]?["role"] == "owner")
            #expect(callback.json?["user"]?["name"] == "Octo Cat")
            let token = try #require(callback.json?["accessToken"]?.stringValue)
            let me = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/me", headers: ["Authorization": "Bearer \(token)"])
            #expect(me.status == 200)

            // The state is single use.
            let replay = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(code)&state=\(state)")
            #expect(replay.status == 400)
            #expect(replay.json?["code"] == "bad_request")
        }
    }

    @Test func aVerifiedEmailLinksOnlyToAnAccountWhoseEmailAProviderProved() async throws {
        try await withGitHub { fake, server in
            // An account made by a provider sign-in: its email was proven, so a second identity
            // with that verified email joins it.
            let email = "proven-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            let first = try await authorize(fake, server, email: email, subject: 7002)
            let created = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(first.code)&state=\(first.state)")
            #expect(created.status == 200, "\(created.text)")
            #expect(created.header("Cache-Control") == "no-store")
            let second = try await authorize(fake, server, email: email, subject: 7012)
            let linked = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(second.code)&state=\(second.state)")
            #expect(linked.status == 200, "\(linked.text)")
            #expect(linked.json?["user"]?["id"] == created.json?["user"]?["id"])

            // A password registration never proved its email: a provider user with that email
            // does not get the account (nor does a squatter who registered it first keep one).
            let squatter = try await Session.register(on: server)
            let third = try await authorize(fake, server, email: squatter.email, subject: 7022)
            let refused = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(third.code)&state=\(third.state)")
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.json?["code"] == "conflict")

            // Neither the code nor the state reached the log.
            #expect(!server.output.contains(first.code) && !server.output.contains(first.state))
            #expect(server.output.contains("/api/v1/auth/oauth/github/callback"))
        }
    }

    @Test func aSignInStartedWithReturnToLandsThereWithTheTokensInTheFragment() async throws {
        try await withGitHub { fake, server in
            let email = "return-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            let (code, state) = try await authorize(fake, server, email: email, subject: 7101, returnTo: "/admin/oauth")
            let callback = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(code)&state=\(state)")
            #expect(callback.status == 302)
            #expect(callback.header("Cache-Control") == "no-store")
            let location = try #require(callback.header("Location"))
            #expect(location.hasPrefix("/admin/oauth#accessToken="), "\(location)")
            let fragment = Dictionary(uniqueKeysWithValues: location.split(separator: "#")[1].split(separator: "&").map {
                let pair = $0.split(separator: "=", maxSplits: 1)
                return (String(pair[0]), String(pair[1]))
            })
            #expect(fragment["expiresIn"] == "900")
            let me = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/me", headers: ["Authorization": "Bearer \(fragment["accessToken"] ?? "")"])
            #expect(me.status == 200)
            #expect(!server.output.contains(fragment["accessToken"] ?? "-"))

            // A refusal at the provider lands there too, with the problem's code.
            let (_, deniedState) = try await authorize(fake, server, email: email, subject: 7101, returnTo: "/admin/oauth")
            let denied = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?error=access_denied&state=\(deniedState)")
            #expect(denied.status == 302)
            #expect(denied.header("Location") == "/admin/oauth#error=bad_request")

            // Only a path on this server.
            for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "admin", "/a%23b"] {
                let start = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github?returnTo=\(evil)")
                #expect(start.status == 400, "\(evil)")
            }
        }
    }

    @Test func aWrongVerifierOrStateFails() async throws {
        try await withGitHub { fake, server in
            let (code, state) = try await authorize(fake, server, email: "x@example.com", subject: 7003)
            // Tamper with the stored challenge: the provider refuses the verifier.
            fake.grants.withLock { grants in
                if let grant = grants[code] {
                    grants[code] = .init(challenge: "not-the-challenge", redirectURI: grant.redirectURI, email: grant.email, subject: grant.subject)
                }
            }
            let refused = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=\(code)&state=\(state)")
            #expect(refused.status == 400)

            let unknownState = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?code=abc&state=forged")
            #expect(unknownState.status == 400)
            let missing = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback")
            #expect(missing.status == 400)
            let denied = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/github/callback?error=access_denied")
            #expect(denied.status == 400)
        }
    }

    @Test func providersListsTheConfiguredOnes() async throws {
        try await withGitHub { _, server in
            let offered = try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/providers")
            #expect(offered.status == 200)
            #expect(offered.json == ["data": [["id": "github", "name": "GitHub"]]])
        }
        let plain = try await SharedServer.shared.server()
        #expect(try await HTTP.request(.GET, plain.baseURL + "/api/v1/auth/providers").json == ["data": []])
    }

    @Test func anUnconfiguredProviderIsNotOffered() async throws {
        let server = try await SharedServer.shared.server()
        #expect(try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/google").status == 404)
        #expect(try await HTTP.request(.GET, server.baseURL + "/api/v1/auth/oauth/myspace").status == 404)
    }
}

@Suite struct RateLimitTests {
    @Test func authCallsAreLimitedPerIP() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: ["RATE_LIMIT_AUTH": "3"])
        try await server.waitUntilReady()
        let url = server.baseURL + "/api/v1/auth/login"
        var statuses: [Int] = []
        var last: HTTP.Response?
        for _ in 0..<5 {
            let response = try await HTTP.json(.POST, url, ["email": "a@example.com", "password": "whatever1"])
            statuses.append(response.status)
            last = response
        }
        #expect(statuses == [401, 401, 401, 429, 429])
        #expect(last?.json?["code"] == "rate_limited")
        #expect(Int(last?.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(last?.header("RateLimit-Limit") == "3")
        #expect(last?.header("RateLimit-Remaining") == "0")
        #expect(last?.header("RateLimit-Reset") != nil)
        try await server.stop()
    }

    @Test func apiCallsAreLimitedPerUser() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: ["RATE_LIMIT_API": "4"])
        let a = try await Session.register(on: server)
        let b = try await Session.register(on: server)
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await a.get("/members").status) }
        #expect(statuses == [200, 200, 200, 200, 429])
        // Another user has their own bucket.
        #expect(try await b.get("/members").status == 200)
        try await server.stop()
    }
}
