import Foundation
import Kernel
import Testing
import TestSupport

@Suite struct AuthTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    @Test func registerAnswersTheTokenPairAndOwnership() async throws {
        let server = try await server()
        let response = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/register", [
            "email": "  New.Person@Example.COM ", "password": "long enough", "name": "New Person", "organizationName": "Acme",
        ])
        #expect(response.status == 201)
        let json = try #require(response.json)
        #expect(json["user"]?["email"] == "new.person@example.com")
        #expect(json["organization"]?["name"] == "Acme")
        #expect(json["organization"]?["role"] == "owner")
        #expect(json["tokenType"] == "Bearer")
        #expect(json["expiresIn"] == 900)
        #expect(json["accessToken"]?.stringValue?.split(separator: ".").count == 3)
        #expect(json["refreshToken"]?.stringValue?.split(separator: ".").count == 1)
    }

    @Test func aDuplicateEmailInAnyCaseIsAConflict() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let response = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/register", [
            "email": .string(session.email.uppercased()), "password": "long enough", "name": "Copy",
        ])
        #expect(response.status == 409)
        #expect(response.json?["code"] == "conflict")
    }

    @Test func badRegistrationsAreFieldErrors() async throws {
        let server = try await server()
        let url = server.baseURL + "/api/v1/auth/register"
        let short = try await HTTP.json(.POST, url, ["email": "a@b.co", "password": "short", "name": "X"])
        #expect(short.status == 422)
        #expect(short.json?["errors"]?.arrayValue?.first?["field"] == "password")

        let long = try await HTTP.json(.POST, url, ["email": "a@b.co", "password": .string(String(repeating: "é", count: 37)), "name": "X"])
        #expect(long.status == 422)

        let everything = try await HTTP.json(.POST, url, ["email": "not-an-email", "password": "short", "name": ""])
        let fields = Set(everything.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["email", "password", "name"])

        let unknown = try await HTTP.json(.POST, url, ["email": "a@b.co", "password": "long enough", "name": "X", "isAdmin": true])
        #expect(unknown.status == 422)
        #expect(unknown.json?["errors"]?.arrayValue?.first?["field"] == "isAdmin")

        let wrongType = try await HTTP.json(.POST, url, ["email": 42, "password": "long enough", "name": "X"])
        #expect(wrongType.status == 422)
        #expect(wrongType.json?["errors"]?.arrayValue?.first?["field"] == "email")

        let malformed = try await HTTP.request(.POST, url, body: Data("{\"email\": ".utf8))
        #expect(malformed.status == 400)
        #expect(malformed.json?["code"] == "bad_request")

        let huge = try await HTTP.json(.POST, url, ["email": "a@b.co", "password": "long enough", "name": .string(String(repeating: "n", count: 100_000))])
        #expect(huge.status == 422)
    }

    @Test func unknownEmailAndWrongPasswordAreIndistinguishable() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let url = server.baseURL + "/api/v1/auth/login"
        let wrongPassword = try await HTTP.json(.POST, url, ["email": .string(session.email), "password": "wrong password"])
        let unknownEmail = try await HTTP.json(.POST, url, ["email": "nobody-\(UUID())@example.com", "password": "wrong password"])
        #expect(wrongPassword.status == 401)
        #expect(unknownEmail.status == 401)
        #expect(wrongPassword.body == unknownEmail.body)
        #expect(wrongPassword.json?["detail"] == "invalid email or password")

        let ok = try await HTTP.json(.POST, url, ["email": .string(session.email.uppercased()), "password": .string(session.password)])
        #expect(ok.status == 200)
        #expect(ok.json?["organization"]?["id"] == .string(session.organizationID))
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let url = server.baseURL + "/api/v1/auth/refresh"

        let first = try await HTTP.json(.POST, url, ["refreshToken": .string(session.refreshToken)])
        #expect(first.status == 200)
        let rotated = try #require(first.json?["refreshToken"]?.stringValue)
        #expect(rotated != session.refreshToken)

        // The old token is dead; presenting it again is reuse: the whole login is revoked.
        let reuse = try await HTTP.json(.POST, url, ["refreshToken": .string(session.refreshToken)])
        #expect(reuse.status == 401)
        let afterReuse = try await HTTP.json(.POST, url, ["refreshToken": .string(rotated)])
        #expect(afterReuse.status == 401)
    }

    @Test func logoutKillsTheRefreshToken() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let logout = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/logout", ["refreshToken": .string(session.refreshToken)])
        #expect(logout.status == 204)
        let refresh = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/refresh", ["refreshToken": .string(session.refreshToken)])
        #expect(refresh.status == 401)
    }

    @Test func forgedAndMisusedTokensAreRefused() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let parts = session.accessToken.split(separator: ".").map(String.init)

        func status(_ token: String) async throws -> Int {
            try await HTTP.request(.GET, session.api + "/auth/me", headers: ["Authorization": "Bearer \(token)"]).status
        }
        #expect(try await status(session.accessToken) == 200)
        let none = Base64URL.encode(Data(#"{"alg":"none","typ":"at+jwt"}"#.utf8))
        #expect(try await status("\(none).\(parts[1]).") == 401)
        let hs512 = Base64URL.encode(Data(#"{"alg":"HS512","typ":"at+jwt"}"#.utf8))
        #expect(try await status("\(hs512).\(parts[1]).\(parts[2])") == 401)
        let noTyp = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        #expect(try await status("\(noTyp).\(parts[1]).\(parts[2])") == 401)
        // Tampered payload: promote to another role.
        var payload = try #require(Base64URL.decode(parts[1]).flatMap { JSONValue.parse($0)?.objectValue })
        payload["role"] = "owner"
        payload["org"] = .string(UUID().uuidString.lowercased())
        let tampered = Base64URL.encode(Data(JSONValue.object(payload).serialized().utf8))
        #expect(try await status("\(parts[0]).\(tampered).\(parts[2])") == 401)
        // A refresh token is not an access token, and vice versa.
        #expect(try await status(session.refreshToken) == 401)
        let asRefresh = try await HTTP.json(.POST, session.api + "/auth/refresh", ["refreshToken": .string(session.accessToken)])
        #expect(asRefresh.status == 401)
        #expect(try await status("garbage") == 401)
        let basic = try await HTTP.request(.GET, session.api + "/auth/me", headers: ["Authorization": "Basic dTpw"])
        #expect(basic.status == 401)
        let anonymous = try await HTTP.request(.GET, session.api + "/auth/me")
        #expect(anonymous.status == 401)
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() async throws {
        let server = try await server()
        let session = try await Session.register(on: server)
        let foreign = await AccessTokens(secret: String(repeating: "x", count: 32), issuer: server.baseURL)
        let token = try await foreign.issue(
            userID: UUID(uuidString: session.userID)!, organizationID: UUID(uuidString: session.organizationID)!, role: .owner)
        let response = try await HTTP.request(.GET, session.api + "/auth/me", headers: ["Authorization": "Bearer \(token)"])
        #expect(response.status == 401)
    }

    @Test func meAndSwitchFollowMemberships() async throws {
        let server = try await server()
        let ann = try await Session.register(on: server, name: "Ann")
        let bob = try await Session.register(on: server, name: "Bob")

        let me = try await ann.get("/auth/me")
        #expect(me.json?["user"]?["id"] == .string(ann.userID))
        #expect(me.json?["role"] == "owner")
        #expect(me.json?["memberships"]?.arrayValue?.count == 1)

        // Ann cannot switch into Bob's organization until Bob adds her.
        let denied = try await ann.send(.POST, "/auth/switch", ["organizationId": .string(bob.organizationID)])
        #expect(denied.status == 403)
        try await bob.addMember(ann, role: "viewer")
        let switched = try await ann.send(.POST, "/auth/switch", ["organizationId": .string(bob.organizationID)])
        #expect(switched.status == 200)
        #expect(switched.json?["organization"]?["role"] == "viewer")
        let token = try #require(switched.json?["accessToken"]?.stringValue)
        let meThere = try await HTTP.request(.GET, ann.api + "/auth/me", headers: ["Authorization": "Bearer \(token)"])
        #expect(meThere.json?["organization"]?["id"] == .string(bob.organizationID))
        #expect(meThere.json?["memberships"]?.arrayValue?.count == 2)
    }
}
