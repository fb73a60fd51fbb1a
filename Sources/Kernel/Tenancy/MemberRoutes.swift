import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/members`: who belongs to the organization and with which role. Admins manage members;
/// only owners grant, change or remove the owner role; the last owner always stays.
struct MemberRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("members")
        routes.get("/members", requires: .membersRead, doc: APIOperation(
            "listMembers", "List the organization's members", description: "Oldest membership first.",
            response: APISchema.list(of: APISchema.ref("Member")))
        ) { _, _, principal in
            let members = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    """
                    SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
                    WHERE m.org_id = \(principal.organizationID) ORDER BY m.created_at, u.id
                    """, logger: logger)
                var members: [MemberView] = []
                for try await (id, email, name, role, created) in rows.decode((UUID, String, String, String, Date).self) {
                    members.append(MemberView(userId: id.text, email: email, name: name, role: role, createdAt: created))
                }
                return members
            }
            return try JSONResponse.make(.ok, DataEnvelope(members))
        }
        routes.post("/members", requires: .membersManage, doc: APIOperation(
            "addMember", "Add a registered user to the organization",
            description: "An email no user has registered → 422 (`unknown_user`); granting `owner` needs the owner role (403); an existing member → 409.",
            body: APISchema.ref("MemberInput"), status: 201, response: APISchema.ref("Member"), responseHeaders: ["Location"],
            errors: [409])
        ) { request, context, principal in
            try await add(request, context, principal)
        }
        routes.patch("/members/:userId", requires: .membersManage, doc: APIOperation(
            "updateMember", "Change a member's role",
            description: "Granting or removing `owner` needs the owner role (403); demoting the last owner → 409.",
            body: APISchema.ref("MemberPatch"), response: APISchema.ref("Member"), errors: [409])
        ) { request, context, principal in
            try await changeRole(request, context, principal)
        }
        // Anyone may leave; removing others needs members.manage (checked inside).
        routes.delete("/members/:userId", requires: .membersRead, doc: APIOperation(
            "removeMember", "Remove a member, or leave the organization",
            description: "Anyone may remove themselves; removing someone else needs `members.manage` (an owner: the owner role). Removing the last owner → 409.",
            status: 204, errors: [409])
        ) { _, context, principal in
            try await remove(context, principal)
        }
    }

    struct AddBody: Decodable {
        let email: String
        let role: Role
    }

    func add(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(AddBody.self, request, context: context, allowedKeys: ["email", "role"])
        var validator = Validator()
        let email = validator.email("email", body.email) ?? ""
        try validator.check()
        if body.role == .owner { try principal.require(.ownersManage) }
        let member = try await services.database.transaction(principal.scope) { connection -> MemberView in
            let users = try await connection.query("SELECT id, email, name FROM users WHERE lower(email) = \(email)", logger: logger)
            var found: (UUID, String, String)?
            for try await row in users.decode((UUID, String, String).self) { found = row }
            guard let (userID, storedEmail, name) = found else {
                throw APIError.validation([FieldError(field: "email", code: "unknown_user", message: "no registered user has this email; they must sign up first")])
            }
            do {
                let rows = try await connection.query(
                    "INSERT INTO memberships (org_id, user_id, role) VALUES (\(principal.organizationID), \(userID), \(body.role.rawValue)) RETURNING created_at",
                    logger: logger)
                var created = Date()
                for try await date in rows.decode(Date.self) { created = date }
                return MemberView(userId: userID.text, email: storedEmail, name: name, role: body.role.rawValue, createdAt: created)
            } catch where SQLState.isUniqueViolation(error) {
                throw APIError.conflict("this user is already a member")
            }
        }
        return try JSONResponse.make(.created, member, headers: [.location: "/api/v1/members/\(member.userId)"])
    }

    struct RoleBody: Decodable {
        let role: Role
    }

    func changeRole(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let userID = try context.uuidParameter("userId")
        let body = try await JSONBody.decode(RoleBody.self, request, context: context, allowedKeys: ["role"])
        let member = try await services.database.transaction(principal.scope) { connection -> MemberView in
            let current = try await lockMember(userID, principal, on: connection)
            if current.role == Role.owner.rawValue || body.role == .owner { try principal.require(.ownersManage) }
            if current.role == Role.owner.rawValue && body.role != .owner {
                try await ensureAnotherOwner(besides: userID, principal, on: connection)
            }
            try await connection.query(
                "UPDATE memberships SET role = \(body.role.rawValue) WHERE org_id = \(principal.organizationID) AND user_id = \(userID)",
                logger: logger)
            return MemberView(userId: current.userId, email: current.email, name: current.name, role: body.role.rawValue, createdAt: current.createdAt)
        }
        return try JSONResponse.make(.ok, member)
    }

    func remove(_ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let userID = try context.uuidParameter("userId")
        if principal.userID != userID { try principal.require(.membersManage) }
        try await services.database.transaction(principal.scope) { connection in
            let current = try await lockMember(userID, principal, on: connection)
            if current.role == Role.owner.rawValue {
                if principal.userID != userID { try principal.require(.ownersManage) }
                try await ensureAnotherOwner(besides: userID, principal, on: connection)
            }
            try await connection.query(
                "DELETE FROM memberships WHERE org_id = \(principal.organizationID) AND user_id = \(userID)", logger: logger)
        }
        return JSONResponse.noContent()
    }

    /// The member row, locked for the rest of the transaction; 404 when not a member.
    func lockMember(_ userID: UUID, _ principal: Principal, on connection: PostgresConnection) async throws -> MemberView {
        let rows = try await connection.query(
            """
            SELECT u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = \(principal.organizationID) AND m.user_id = \(userID) FOR UPDATE OF m
            """, logger: logger)
        for try await (email, name, role, created) in rows.decode((String, String, String, Date).self) {
            return MemberView(userId: userID.text, email: email, name: name, role: role, createdAt: created)
        }
        throw APIError.notFound("no member \(userID.text)")
    }

    /// 409 unless an owner other than `userID` remains. Locks the owners' rows, so two
    /// concurrent demotions cannot both pass.
    func ensureAnotherOwner(besides userID: UUID, _ principal: Principal, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT user_id FROM memberships WHERE org_id = \(principal.organizationID) AND role = 'owner'
            ORDER BY user_id FOR UPDATE
            """, logger: logger)
        var others = 0
        for try await owner in rows.decode(UUID.self) where owner != userID { others += 1 }
        guard others > 0 else { throw APIError.conflict("the last owner cannot be removed or demoted") }
    }
}
