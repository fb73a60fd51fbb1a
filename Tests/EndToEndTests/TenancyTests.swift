import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

@Suite struct RoleTests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    /// An owner with a member of each other role, signed in to the owner's organization.
    func team() async throws -> (owner: Session, admin: Session, member: Session, viewer: Session) {
        let server = try await server()
        let owner = try await Session.register(on: server, name: "Owner")
        var others: [Session] = []
        for role in ["admin", "member", "viewer"] {
            let person = try await Session.register(on: server, name: role)
            try await owner.addMember(person, role: role)
            others.append(try await owner.loginAs(person))
        }
        return (owner, others[0], others[1], others[2])
    }

    @Test func viewersReadButCannotManage() async throws {
        let (_, _, _, viewer) = try await team()
        #expect(try await viewer.get("/members").status == 200)
        #expect(try await viewer.get("/plugins").status == 200)
        let outsider = try await Session.register(on: try await server())
        #expect(try await viewer.send(.POST, "/members", ["email": .string(outsider.email), "role": "viewer"]).status == 403)
        #expect(try await viewer.send(.PUT, "/plugins/activities", ["enabled": false]).status == 403)
        #expect(try await viewer.send(.POST, "/api-keys", ["name": "k", "role": "viewer"]).status == 403)
        #expect(try await viewer.send(.PATCH, "/organizations/current", ["name": "Mine now"]).status == 403)
    }

    @Test func membersCannotManageMembersOrPlugins() async throws {
        let (_, _, member, viewer) = try await team()
        #expect(try await member.send(.PATCH, "/members/\(viewer.userID)", ["role": "admin"]).status == 403)
        #expect(try await member.send(.PUT, "/plugins/activities", ["enabled": false]).status == 403)
        #expect(try await member.get("/api-keys").status == 403)
    }

    @Test func adminsManageMembersButNotOwners() async throws {
        let (owner, admin, member, _) = try await team()
        let promoted = try await admin.send(.PATCH, "/members/\(member.userID)", ["role": "admin"])
        #expect(promoted.status == 200)
        #expect(promoted.json?["role"] == "admin")
        #expect(try await admin.send(.PATCH, "/members/\(member.userID)", ["role": "owner"]).status == 403)
        #expect(try await admin.send(.PATCH, "/members/\(owner.userID)", ["role": "viewer"]).status == 403)
        #expect(try await admin.send(.DELETE, "/members/\(owner.userID)").status == 403)
        #expect(try await admin.send(.PATCH, "/members/\(member.userID)", ["role": "emperor"]).status == 422)
    }

    @Test func theLastOwnerCannotBeDemotedOrRemoved() async throws {
        let (owner, admin, _, _) = try await team()
        let demote = try await owner.send(.PATCH, "/members/\(owner.userID)", ["role": "admin"])
        #expect(demote.status == 409)
        #expect(try await owner.send(.DELETE, "/members/\(owner.userID)").status == 409)
        // With a second owner, the first may step down.
        #expect(try await owner.send(.PATCH, "/members/\(admin.userID)", ["role": "owner"]).status == 200)
        #expect(try await owner.send(.PATCH, "/members/\(owner.userID)", ["role": "admin"]).status == 200)
    }

    @Test func membersAreAddedOnceAndRemoved() async throws {
        let server = try await server()
        let owner = try await Session.register(on: server)
        let person = try await Session.register(on: server)
        try await owner.addMember(person, role: "member")
        #expect(try await owner.send(.POST, "/members", ["email": .string(person.email), "role": "member"]).status == 409)
        let list = try await owner.get("/members")
        #expect(list.json?["data"]?.arrayValue?.count == 2)
        #expect(try await owner.send(.DELETE, "/members/\(person.userID)").status == 204)
        #expect(try await owner.send(.DELETE, "/members/\(person.userID)").status == 404)
        #expect(try await owner.send(.DELETE, "/members/not-a-uuid").status == 404)
    }
}

@Suite struct OrganizationTests {
    @Test func organizationsAreCreatedListedAndRenamed() async throws {
        let server = try await SharedServer.shared.server()
        let session = try await Session.register(on: server)
        let created = try await session.send(.POST, "/organizations", ["name": "Second", "currency": "EUR"])
        #expect(created.status == 201)
        #expect(created.json?["role"] == "owner")
        #expect(created.json?["currency"] == "EUR")
        #expect(created.header("Location") != nil)
        let mine = try await session.get("/organizations")
        #expect(mine.json?["data"]?.arrayValue?.count == 2)

        #expect(try await session.send(.POST, "/organizations", ["name": "Bad", "currency": "EURO"]).status == 422)
        let renamed = try await session.send(.PATCH, "/organizations/current", ["name": "Renamed", "currency": "GBP"])
        #expect(renamed.status == 200)
        #expect(renamed.json?["name"] == "Renamed")
        #expect(renamed.json?["currency"] == "GBP")
    }
}

@Suite struct APIKeyTests {
    @Test func aKeyIsShownOnceAuthenticatesAndStopsWhenRevoked() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let created = try await owner.send(.POST, "/api-keys", ["name": "CI", "role": "member"])
        #expect(created.status == 201)
        let key = try #require(created.json?["key"]?.stringValue)
        #expect(key.hasPrefix("crm_"))
        let id = try #require(created.json?["id"]?.stringValue)

        let list = try await owner.get("/api-keys")
        #expect(list.status == 200)
        #expect(!list.text.contains(key))
        #expect(list.json?["data"]?.arrayValue?.first?["prefix"] == .string(String(key.prefix(12))))

        let asKey = try await HTTP.request(.GET, owner.api + "/members", headers: ["Authorization": "Bearer \(key)"])
        #expect(asKey.status == 200)
        // The key carries its role: a member key cannot manage keys.
        let escalate = try await HTTP.json(.POST, owner.api + "/api-keys", ["name": "x", "role": "owner"], headers: ["Authorization": "Bearer \(key)"])
        #expect(escalate.status == 403)

        #expect(try await owner.send(.DELETE, "/api-keys/\(id)").status == 204)
        let revoked = try await HTTP.request(.GET, owner.api + "/members", headers: ["Authorization": "Bearer \(key)"])
        #expect(revoked.status == 401)
        #expect(try await owner.send(.DELETE, "/api-keys/\(id)").status == 404)
    }

    @Test func forgedKeysAreRefused() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let org = owner.organizationID.replacingOccurrences(of: "-", with: "")
        for key in ["crm_", "crm_x", "crm_\(String(repeating: "A", count: 43))_\(org)", "crm_\(String(repeating: "A", count: 43))_zz"] {
            let response = try await HTTP.request(.GET, owner.api + "/members", headers: ["Authorization": "Bearer \(key)"])
            #expect(response.status == 401)
        }
    }

    @Test func adminsCannotMintOwnerKeys() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let admin = try await Session.register(on: server)
        try await owner.addMember(admin, role: "admin")
        let signedIn = try await owner.loginAs(admin)
        #expect(try await signedIn.send(.POST, "/api-keys", ["name": "x", "role": "owner"]).status == 403)
        #expect(try await signedIn.send(.POST, "/api-keys", ["name": "x", "role": "admin"]).status == 201)
    }
}

@Suite struct PluginTests {
    @Test func newOrganizationsStartWithTheNativePluginsEnabled() async throws {
        let session = try await Session.register(on: try await SharedServer.shared.server())
        let plugins = try await session.get("/plugins")
        let data = try #require(plugins.json?["data"]?.arrayValue)
        let native = data.filter { $0["kind"] == "native" }
        let enabled = Dictionary(uniqueKeysWithValues: native.map { ($0["id"]?.stringValue ?? "", $0["enabled"]?.boolValue ?? false) })
        #expect(enabled == ["contacts": true, "deals": true, "activities": true, "customfields": true])
        // The bundled Lua plugins are listed, off until an admin enables them.
        let lua = data.filter { $0["kind"] == "lua" }
        let luaIDs = Set(lua.compactMap { $0["id"]?.stringValue })
        #expect(luaIDs.isSuperset(of: ["email-normalizer", "deal-won-followup", "won-deal-requirements"]))
        #expect(lua.allSatisfy { $0["enabled"] == false })
    }

    @Test func dependenciesGuardEnablement() async throws {
        let session = try await Session.register(on: try await SharedServer.shared.server())
        #expect(try await session.send(.PUT, "/plugins/contacts", ["enabled": false]).status == 409)
        #expect(try await session.send(.PUT, "/plugins/deals", ["enabled": false]).status == 200)
        #expect(try await session.send(.PUT, "/plugins/activities", ["enabled": false]).status == 200)
        let off = try await session.send(.PUT, "/plugins/contacts", ["enabled": false])
        #expect(off.status == 200)
        #expect(off.json?["enabled"] == false)
        #expect(try await session.send(.PUT, "/plugins/deals", ["enabled": true]).status == 409)
        #expect(try await session.send(.PUT, "/plugins/contacts", ["enabled": true]).status == 200)
        #expect(try await session.send(.PUT, "/plugins/deals", ["enabled": true]).status == 200)
    }

    @Test func badPluginRequestsAreClearErrors() async throws {
        let session = try await Session.register(on: try await SharedServer.shared.server())
        #expect(try await session.send(.PUT, "/plugins/nope", ["enabled": true]).status == 404)
        let config = try await session.send(.PUT, "/plugins/deals", ["enabled": true, "config": ["color": "red"]])
        #expect(config.status == 422)
        #expect(config.json?["errors"]?.arrayValue?.first?["field"] == "config.color")
        #expect(try await session.send(.PUT, "/plugins/deals", ["enabled": "yes"]).status == 422)
    }

    @Test func oneTenantsChangesDoNotTouchAnother() async throws {
        let server = try await SharedServer.shared.server()
        let a = try await Session.register(on: server)
        let b = try await Session.register(on: server)
        #expect(try await a.send(.PUT, "/plugins/activities", ["enabled": false]).status == 200)
        let bPlugins = try await b.get("/plugins")
        let activities = bPlugins.json?["data"]?.arrayValue?.first { $0["id"] == "activities" }
        #expect(activities?["enabled"] == true)
    }
}

@Suite struct TenantIsolationTests {
    @Test func aTokenSeesOnlyItsOwnOrganization() async throws {
        let server = try await SharedServer.shared.server()
        let a = try await Session.register(on: server)
        let b = try await Session.register(on: server)
        let members = try await a.get("/members")
        let ids = members.json?["data"]?.arrayValue?.compactMap { $0["userId"]?.stringValue } ?? []
        #expect(ids == [a.userID])
        // B's member id in A's organization is unknown there.
        #expect(try await a.send(.PATCH, "/members/\(b.userID)", ["role": "viewer"]).status == 404)
        #expect(try await a.send(.DELETE, "/members/\(b.userID)").status == 404)
    }

    /// Requests of several tenants at once share the server's pooled connections (a pool per
    /// event loop, each connection's session set to the tenant of its last query): none may run
    /// with another tenant's setting. A stale setting shows as a 500 (row-level security refusing
    /// the insert) or as a page missing the tenant's own records; a foreign record, as a leak.
    @Test func concurrentTenantsNeverShareASessionSetting() async throws {
        let server = try await SharedServer.shared.server()
        var tenants: [Session] = []
        for _ in 0..<3 { tenants.append(try await Session.register(on: server)) }
        let created = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for (index, tenant) in tenants.enumerated() {
                for worker in 0..<4 {
                    group.addTask {
                        var ids: [String] = []
                        for round in 0..<8 {
                            let name = JSONValue.string("t\(index)w\(worker)r\(round)")
                            let response = try await tenant.send(.POST, "/contacts", ["firstName": name])
                            #expect(response.status == 201, "\(response.text)")
                            if let id = response.json?["id"]?.stringValue { ids.append(id) }
                            let page = try await tenant.get("/contacts?limit=100")
                            #expect(page.status == 200, "\(page.text)")
                            let seen = Set(page.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
                            #expect(ids.allSatisfy(seen.contains), "tenant \(index) misses its own records")
                        }
                        return (index, ids)
                    }
                }
            }
            var created = Array(repeating: Set<String>(), count: tenants.count)
            for try await (index, ids) in group { created[index].formUnion(ids) }
            return created
        }
        for (index, tenant) in tenants.enumerated() {
            let page = try await tenant.get("/contacts?limit=100")
            let seen = Set(page.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
            #expect(created[index].count == 32)
            #expect(seen == created[index], "tenant \(index) sees exactly its own contacts")
        }
    }

    @Test func withoutATenantSettingTheApplicationRoleSeesNoTenantRows() async throws {
        let database = try await SharedServer.shared.database()
        _ = try await Session.register(on: try await SharedServer.shared.server())
        try await database.withApp { client in
            let logger = TestDatabase.logger
            // Make sure the role is not exempt from RLS.
            let roles = try await client.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", logger: logger)
            for try await (superuser, bypass) in roles.decode((Bool, Bool).self) {
                #expect(!superuser)
                #expect(!bypass)
            }
            for table in ["organizations", "memberships", "api_keys", "tenant_plugins"] {
                let rows = try await client.query("SELECT count(*) FROM \(unescaped: table)", logger: logger)
                for try await count in rows.decode(Int.self) { #expect(count == 0, "\(table) leaked rows") }
            }
        }
        // The rows do exist (seen by the superuser).
        try await database.withAdmin { client in
            let rows = try await client.query("SELECT count(*) FROM organizations", logger: TestDatabase.logger)
            for try await count in rows.decode(Int.self) { #expect(count > 0) }
        }
    }

    @Test func aTenantSettingShowsOnlyThatTenantsRows() async throws {
        let database = try await SharedServer.shared.database()
        let server = try await SharedServer.shared.server()
        let a = try await Session.register(on: server)
        _ = try await Session.register(on: server)
        try await database.withAppTenant(a.organizationID) { connection in
            let rows = try await connection.query("SELECT DISTINCT org_id::text FROM tenant_plugins", logger: TestDatabase.logger)
            var orgs: [String] = []
            for try await org in rows.decode(String.self) { orgs.append(org) }
            #expect(orgs == [a.organizationID])
            // Writing another tenant's row is refused by the policy's WITH CHECK.
            await #expect(throws: (any Error).self) {
                try await connection.query(
                    "INSERT INTO tenant_plugins (org_id, plugin_id, enabled) VALUES (gen_random_uuid(), 'x', true)",
                    logger: TestDatabase.logger)
            }
        }
    }
}
