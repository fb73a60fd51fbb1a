import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/members`: who belongs to the organization and with which role. Admins invite and manage
/// members; only owners invite owners or change or remove the owner role; the last owner always
/// stays. A change takes effect on the member's very next request (`MembershipRoles`), and
/// their API keys follow it: revoked with the membership, capped at a lowered role.
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
            "inviteMember", "Invite someone to the organization by email",
            description: """
                Creates an invitation (status `invited`) with a single-use `token`, valid 7 days and shown only in \
                this answer: the invitee accepts it with `POST /invitations/accept` (signed in with that email) or \
                registers with it. The answer is the same whether or not the email has an account. Inviting an \
                `owner` needs the owner role (403); the email of a member → 409. A new invitation for the same \
                email replaces a pending one.
                """,
            body: APISchema.ref("MemberInput"), status: 201, response: APISchema.ref("NewInvitation"),
            responseHeaders: ["Location"], errors: [409])
        ) { request, context, principal in
            try await invite(request, context, principal)
        }
        routes.patch("/members/:userId", requires: .membersManage, doc: APIOperation(
            "updateMember", "Change a member's role",
            description: "Granting or removing `owner` needs the owner role (403); demoting the last owner → 409. The new role applies to the member's next request, and API keys they created are lowered to at most that role.",
            body: APISchema.ref("MemberPatch"), response: APISchema.ref("Member"), errors: [409])
        ) { request, context, principal in
            try await changeRole(request, context, principal)
        }
        // Anyone may leave; removing others needs members.manage (checked inside).
        routes.delete("/members/:userId", requires: .membersRead, doc: APIOperation(
            "removeMember", "Remove a member, or leave the organization",
            description: "Anyone may remove themselves; removing someone else needs `members.manage` (an owner: the owner role). Removing the last owner → 409. Their access tokens stop working for this organization at once, and the API keys they created are revoked.",
            status: 204, errors: [409])
        ) { _, context, principal in
            try await remove(context, principal)
        }
    }

    struct InviteBody: Decodable {
        let email: String
        let role: Role
    }

    func invite(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(InviteBody.self, request, context: context, allowedKeys: ["email", "role"])
        var validator = Validator()
        let email = validator.email("email", body.email) ?? ""
        try validator.check()
        if body.role == .owner { try principal.require(.ownersManage) }
        let invitation = try await services.database.transaction(principal.scope) { connection in
            try await services.invitations.create(
                email: email, role: body.role, invitedBy: principal.userID, in: principal.organizationID, on: connection)
        }
        return try JSONResponse.secret(.created, invitation, headers: [.location: "/api/v1/invitations/\(invitation.id)"])
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
            // The keys they made can do no more than they can now.
            try await connection.query(
                """
                UPDATE api_keys SET role = \(body.role.rawValue)
                WHERE org_id = \(principal.organizationID) AND created_by = \(userID) AND revoked_at IS NULL
                  AND array_position(\(unescaped: Self.rolesByRank), role) > array_position(\(unescaped: Self.rolesByRank), \(body.role.rawValue))
                """, logger: logger)
            return MemberView(userId: current.userId, email: current.email, name: current.name, role: body.role.rawValue, createdAt: current.createdAt)
        }
        services.memberships.invalidate(principal.organizationID)
        return try JSONResponse.make(.ok, member)
    }

    /// Roles as a SQL array, least first, to compare ranks in SQL.
    static let rolesByRank = "ARRAY[" + Role.allCases.sorted().map { "'\($0.rawValue)'" }.joined(separator: ",") + "]"

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
            try await connection.query(
                """
                UPDATE api_keys SET revoked_at = now()
                WHERE org_id = \(principal.organizationID) AND created_by = \(userID) AND revoked_at IS NULL
                """, logger: logger)
        }
        services.memberships.invalidate(principal.organizationID)
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
