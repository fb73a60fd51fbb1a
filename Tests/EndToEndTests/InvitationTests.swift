import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// API.md, Invitations: nobody joins an organization without accepting.
@Suite struct InvitationTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    func invite(_ inviter: Session, _ email: String, role: String = "member") async throws -> HTTP.Response {
        try await inviter.send(.POST, "/members", ["email": .string(email), "role": .string(role)])
    }

    @Test func anInvitationLooksTheSameWhetherOrNotTheEmailHasAnAccount() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let registered = try await Session.register(on: server, name: "Registered Person")
        let known = try await invite(owner, registered.email.uppercased())
        let unknown = try await invite(owner, "ghost-\(UUID().uuidString.prefix(8).lowercased())@example.com")
        for answer in [known, unknown] {
            #expect(answer.status == 201, "\(answer.text)")
            #expect(Set(answer.json?.objectValue?.keys.map { $0 } ?? []) == ["id", "email", "role", "status", "expiresAt", "token"])
            #expect(answer.json?["status"] == "invited")
            #expect(answer.json?["token"]?.stringValue?.hasPrefix("inv_") == true)
            #expect(answer.header("Cache-Control") == "no-store")
            #expect(answer.header("Location") == "/api/v1/invitations/\(answer.json?["id"]?.stringValue ?? "")")
        }
        #expect(!known.text.contains("Registered Person"))
        #expect(known.json?["email"] == .string(registered.email))
        // Not a member until they accept.
        #expect(try await owner.get("/members").json?["data"]?.arrayValue?.count == 1)
        // Seven days.
        let expires = try #require(known.json?["expiresAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) })
        #expect(abs(expires.timeIntervalSinceNow - 7 * 86_400) < 120)
    }

    @Test func theInviteeAcceptsOnceWithTheirOwnEmail() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let invitee = try await Session.register(on: server)
        let stranger = try await Session.register(on: server)
        let token = try #require(try await invite(owner, invitee.email, role: "admin").json?["token"]?.stringValue)

        // The preview (the console's accept page): the same rules, and it changes nothing.
        #expect(try await stranger.send(.POST, "/invitations/preview", ["token": .string(token)]).status == 403)
        #expect(try await invitee.send(.POST, "/invitations/preview", ["token": "inv_nope"]).status == 404)
        for _ in 0..<2 {
            let preview = try await invitee.send(.POST, "/invitations/preview", ["token": .string(token)])
            #expect(preview.status == 200, "\(preview.text)")
            #expect(preview.json?["organization"]?["id"] == .string(owner.organizationID))
            let organization = try await owner.get("/auth/me").json?["organization"]?["name"]
            #expect(preview.json?["organization"]?["name"] == organization)
            #expect(preview.json?["role"] == "admin")
        }
        #expect(try await owner.get("/members").json?["data"]?.arrayValue?.count == 1, "a preview joins nobody")
        let wrongUser = try await stranger.send(.POST, "/invitations/accept", ["token": .string(token)])
        #expect(wrongUser.status == 403)
        let accepted = try await invitee.send(.POST, "/invitations/accept", ["token": .string(token)])
        #expect(accepted.status == 200, "\(accepted.text)")
        #expect(accepted.json?["organization"]?["id"] == .string(owner.organizationID))
        #expect(accepted.json?["role"] == "admin")
        let members = try await owner.get("/members").json?["data"]?.arrayValue ?? []
        #expect(members.contains { $0["userId"] == .string(invitee.userID) && $0["role"] == "admin" })
        // Single use; and the new member switches in.
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(token)]).status == 404)
        let switched = try await invitee.send(.POST, "/auth/switch", ["organizationId": .string(owner.organizationID)])
        #expect(switched.status == 200)
        #expect(switched.json?["organization"]?["role"] == "admin")

        // Unknown or malformed tokens; an existing member; rights to invite.
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": "inv_nope"]).status == 404)
        let forged = "inv_\(String(repeating: "A", count: 43))_\(owner.organizationID.replacingOccurrences(of: "-", with: ""))"
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(forged)]).status == 404)
        #expect(try await invite(owner, invitee.email).status == 409)
        let admin = try await owner.loginAs(invitee)
        #expect(try await invite(admin, "x-\(UUID())@example.com", role: "owner").status == 403)
        #expect(try await invite(admin, "x-\(UUID())@example.com", role: "admin").status == 201)
    }

    @Test func registeringWithAnInvitationJoinsItsOrganization() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let email = "newcomer-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let token = try #require(try await invite(owner, email, role: "viewer").json?["token"]?.stringValue)
        let url = server.baseURL + "/api/v1/auth/register"

        let otherEmail = try await HTTP.json(.POST, url, [
            "email": .string("other-\(email)"), "password": "long enough", "name": "Other", "invitationToken": .string(token),
        ])
        #expect(otherEmail.status == 403)
        let joined = try await HTTP.json(.POST, url, [
            "email": .string(email.uppercased()), "password": "long enough", "name": "Newcomer", "invitationToken": .string(token),
        ])
        #expect(joined.status == 201, "\(joined.text)")
        #expect(joined.json?["organization"]?["id"] == .string(owner.organizationID))
        #expect(joined.json?["organization"]?["role"] == "viewer")
        let access = try #require(joined.json?["accessToken"]?.stringValue)
        let mine = try await HTTP.request(.GET, owner.api + "/organizations", headers: ["Authorization": "Bearer \(access)"])
        #expect(mine.json?["data"]?.arrayValue?.count == 1, "no organization of their own was created")
        // Used.
        let again = try await HTTP.json(.POST, url, [
            "email": .string("again-\(email)"), "password": "long enough", "name": "Again", "invitationToken": .string(token),
        ])
        #expect(again.status == 404)
    }

    @Test func revokedReplacedAndExpiredInvitationsAreDead() async throws {
        let server = try await server()
        let database = try await SharedServer.shared.database()
        let owner = try await Session.register(on: server)
        let invitee = try await Session.register(on: server)

        let first = try await invite(owner, invitee.email)
        let second = try await invite(owner, invitee.email)
        let firstToken = try #require(first.json?["token"]?.stringValue)
        let secondToken = try #require(second.json?["token"]?.stringValue)
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(firstToken)]).status == 404, "replaced")

        let secondID = try #require(second.json?["id"]?.stringValue)
        #expect(try await owner.send(.DELETE, "/invitations/\(secondID)").status == 204)
        #expect(try await owner.send(.DELETE, "/invitations/\(secondID)").status == 204)
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(secondToken)]).status == 404, "revoked")
        #expect(try await owner.send(.DELETE, "/invitations/\(UUID().uuidString)").status == 404)

        let third = try await invite(owner, invitee.email)
        let thirdID = try #require(third.json?["id"]?.stringValue)
        try await database.withAdmin { client in
            try await client.query(
                "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = \(UUID(uuidString: thirdID)!)",
                logger: TestDatabase.logger)
        }
        let thirdToken = try #require(third.json?["token"]?.stringValue)
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(thirdToken)]).status == 404, "expired")

        let list = try await owner.get("/invitations")
        #expect(list.status == 200)
        #expect(!list.text.contains("inv_"))
        let statuses = list.json?["data"]?.arrayValue?.compactMap { $0["status"]?.stringValue } ?? []
        #expect(statuses == ["expired", "revoked", "revoked"])

        let fourth = try await invite(owner, invitee.email)
        #expect(try await invitee.send(.POST, "/invitations/accept", ["token": .string(fourth.json?["token"]?.stringValue ?? "")]).status == 200)
        let fourthID = try #require(fourth.json?["id"]?.stringValue)
        #expect(try await owner.send(.DELETE, "/invitations/\(fourthID)").status == 409)
        #expect(try await owner.get("/invitations").json?["data"]?.arrayValue?.first?["status"] == "accepted")
    }

    @Test func onlyAdminsSeeAndManageInvitations() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let person = try await Session.register(on: server)
        try await owner.addMember(person, role: "member")
        let member = try await owner.loginAs(person)
        #expect(try await member.get("/invitations").status == 403)
        #expect(try await invite(member, "x-\(UUID())@example.com").status == 403)
        // Another tenant cannot see or revoke this one's invitations.
        let id = try #require(try await invite(owner, "y-\(UUID())@example.com").json?["id"]?.stringValue)
        let outsider = try await Session.register(on: server)
        #expect(try await outsider.get("/invitations").json?["data"]?.arrayValue?.isEmpty == true)
        #expect(try await outsider.send(.DELETE, "/invitations/\(id)").status == 404)
    }
}

/// API.md, "Revocation is immediate".
@Suite struct RevocationTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    func bearer(_ credential: String) -> [String: String] { ["Authorization": "Bearer \(credential)"] }

    /// An owner and an admin of the owner's organization (signed in to it), who made an admin key.
    func ownerAndAdmin() async throws -> (owner: Session, admin: Session, person: Session, adminKey: String) {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let person = try await Session.register(on: server)
        try await owner.addMember(person, role: "admin")
        let admin = try await owner.loginAs(person)
        let key = try #require(try await admin.send(.POST, "/api-keys", ["name": "mine", "role": "admin"]).json?["key"]?.stringValue)
        return (owner, admin, person, key)
    }

    @Test func aRemovedAdminLosesTokensKeysAndRefreshAtOnce() async throws {
        let (owner, admin, person, key) = try await ownerAndAdmin()
        #expect(try await HTTP.request(.GET, admin.api + "/contacts", headers: bearer(key)).status == 200)

        #expect(try await owner.send(.DELETE, "/members/\(admin.userID)").status == 204)
        let newKey = try await admin.send(.POST, "/api-keys", ["name": "backdoor", "role": "admin"])
        #expect(newKey.status == 401, "\(newKey.text)")
        #expect(try await admin.get("/contacts").status == 401)
        #expect(try await HTTP.request(.GET, admin.api + "/contacts", headers: bearer(key)).status == 401)
        let refresh = try await HTTP.json(.POST, admin.api + "/auth/refresh", ["refreshToken": .string(admin.refreshToken)])
        #expect(refresh.status == 401)
        // Their own organization still works for them.
        #expect(try await person.get("/contacts").status == 200)
    }

    @Test func aDemotedAdminAndTheirKeysActWithTheNewRole() async throws {
        let (owner, admin, _, key) = try await ownerAndAdmin()
        let memberKey = try #require(try await admin.send(.POST, "/api-keys", ["name": "reader", "role": "viewer"]).json?["key"]?.stringValue)

        #expect(try await owner.send(.PATCH, "/members/\(admin.userID)", ["role": "member"]).status == 200)
        #expect(try await admin.get("/api-keys").status == 403)
        #expect(try await admin.send(.POST, "/contacts", ["lastName": "Still works"]).status == 201)
        #expect(try await HTTP.request(.GET, admin.api + "/api-keys", headers: bearer(key)).status == 403)
        #expect(try await HTTP.json(.POST, admin.api + "/contacts", ["lastName": "K"], headers: bearer(key)).status == 201)
        let keys = try await owner.get("/api-keys").json?["data"]?.arrayValue ?? []
        #expect(Set(keys.compactMap { $0["role"]?.stringValue }) == ["member", "viewer"], "capped, and a lower one untouched")
        #expect(try await HTTP.request(.GET, admin.api + "/contacts", headers: bearer(memberKey)).status == 200)

        // Promoted again: the token follows at once too (keys stay capped).
        #expect(try await owner.send(.PATCH, "/members/\(admin.userID)", ["role": "admin"]).status == 200)
        #expect(try await admin.get("/api-keys").status == 200)
    }

    @Test func aDeletedOrganizationsTokensStopWorking() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let created = try await owner.send(.POST, "/organizations", ["name": "Short-lived"])
        let orgID = try #require(created.json?["id"]?.stringValue)
        let switched = try await owner.send(.POST, "/auth/switch", ["organizationId": .string(orgID)])
        let token = try #require(switched.json?["accessToken"]?.stringValue)
        #expect(try await HTTP.request(.GET, owner.api + "/contacts", headers: bearer(token)).status == 200)
        #expect(try await HTTP.request(.DELETE, owner.api + "/organizations/current", headers: bearer(token)).status == 204)
        #expect(try await HTTP.request(.GET, owner.api + "/contacts", headers: bearer(token)).status == 401)
        #expect(try await HTTP.json(.POST, owner.api + "/contacts", ["lastName": "x"], headers: bearer(token)).status == 401)
    }

    @Test func aRoleChangeReachesAnotherProcess() async throws {
        let database = try await TestDatabase.create()
        let secret = String(repeating: "r", count: 40)
        let environment = ["JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret]
        let a = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        let b = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
        try await a.waitUntilReady()
        try await b.waitUntilReady()
        let owner = try await Session.register(on: a)
        let person = try await Session.register(on: a)
        try await owner.addMember(person, role: "admin")
        let adminOnB = try await owner.loginAs(person).on(b)
        // B has the admin's role cached.
        #expect(try await adminOnB.get("/api-keys").status == 200)

        #expect(try await owner.send(.PATCH, "/members/\(person.userID)", ["role": "viewer"]).status == 200)
        var status = 0
        for _ in 0..<50 {
            status = try await adminOnB.get("/api-keys").status
            if status == 403 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status == 403)

        #expect(try await owner.send(.DELETE, "/members/\(person.userID)").status == 204)
        for _ in 0..<50 {
            status = try await adminOnB.get("/contacts").status
            if status == 401 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status == 401)
        try await a.stop()
        try await b.stop()
    }
}
