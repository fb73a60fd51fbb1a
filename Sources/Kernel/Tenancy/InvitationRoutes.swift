import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/invitations`: the organization's invitations (admins), and accepting one (the invitee).
/// Invitations are created with `POST /members` (`MemberRoutes`).
struct InvitationRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("members")
        routes.get("/invitations", requires: .membersManage, doc: APIOperation(
            "listInvitations", "List the organization's invitations",
            description: "Newest first (the latest 200), with their status; tokens are never shown again.",
            response: APISchema.list(of: APISchema.ref("Invitation")))
        ) { _, _, principal in
            let invitations = try await services.database.withScope(principal.scope) { connection in
                try await services.invitations.list(in: principal.organizationID, on: connection)
            }
            return try JSONResponse.make(.ok, DataEnvelope(invitations))
        }
        routes.delete("/invitations/:id", requires: .membersManage, doc: APIOperation(
            "revokeInvitation", "Revoke an invitation",
            description: "Its token stops working at once. An accepted invitation → 409 (remove the member instead).",
            status: 204, errors: [409])
        ) { _, context, principal in
            let id = try context.uuidParameter("id")
            try await services.database.withScope(principal.scope) { connection in
                try await services.invitations.revoke(id, in: principal.organizationID, on: connection)
            }
            return JSONResponse.noContent()
        }
        routes.post("/invitations/accept", requires: .organizationRead, doc: APIOperation(
            "acceptInvitation", "Accept an invitation and join its organization",
            description: """
                For the signed-in user whose email is the invited one (case-insensitive; another user → 403). An unknown, \\
                used, revoked or expired token → 404; already a member → 409. Then `POST /auth/switch` gives a token \\
                pair for the new organization.
                """,
            body: APISchema.ref("AcceptInvitationRequest"), response: APISchema.ref("AcceptedInvitation"), errors: [404, 409])
        ) { request, context, principal in
            try await accept(request, context, principal)
        }
        routes.post("/invitations/preview", requires: .organizationRead, doc: APIOperation(
            "previewInvitation", "Show what an invitation offers before accepting it",
            description: """
                The organization and role an invitation offers, for the signed-in user it was sent to (the admin \
                console's accept page shows them). Same rules as accepting: another user → 403; an unknown, used, \
                revoked or expired token → 404. Nothing changes. The token goes in the body, never in a URL that \
                servers and proxies log.
                """,
            body: APISchema.ref("AcceptInvitationRequest"), response: APISchema.ref("AcceptedInvitation"), errors: [404])
        ) { request, context, principal in
            try await preview(request, context, principal)
        }
    }

    /// What the invitation of the body's token offers its signed-in invitee, after `action`
    /// (nothing, or accepting) ran in the invitation's organization with the invitee's email.
    private func offer(
        _ request: Request, _ context: CRMRequestContext, _ principal: Principal,
        _ action: @escaping @Sendable (_ token: String, _ userID: UUID, _ email: String, PostgresConnection) async throws -> Role
    ) async throws -> (UUID, AcceptedInvitationView) {
        let token = try await JSONBody.decode(AcceptBody.self, request, context: context, allowedKeys: ["token"]).token
        guard let userID = principal.userID else { throw APIError.forbidden("an invitation is accepted by a signed-in user, not an API key") }
        let organizationID = try Invitations.organization(of: token)
        let view = try await services.database.transaction(TenantScope(organizationID: organizationID, userID: userID)) { connection in
            guard let user = try await services.user(userID, on: connection) else { throw APIError.unauthorized() }
            let role = try await action(token, userID, user.email, connection)
            var organization = try await services.organization(organizationID, on: connection)
            organization.role = role.rawValue
            return AcceptedInvitationView(organization: organization, role: role.rawValue)
        }
        return (organizationID, view)
    }

    func preview(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let (_, offered) = try await offer(request, context, principal) { token, _, email, connection in
            try await services.invitations.open(token, email: email, forUpdate: false, on: connection).role
        }
        return try JSONResponse.make(.ok, offered)
    }

    struct AcceptBody: Decodable {
        let token: String
    }

    func accept(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let (organizationID, accepted) = try await offer(request, context, principal) { token, userID, email, connection in
            try await services.invitations.accept(token, userID: userID, email: email, on: connection)
        }
        services.memberships.invalidate(organizationID)
        return try JSONResponse.make(.ok, accepted)
    }
}
