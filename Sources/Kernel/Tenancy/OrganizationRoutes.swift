import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/organizations`: the caller's organizations, creating one, renaming the current one,
/// deleting it (owner).
struct OrganizationRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("organizations")
        routes.get("/organizations", requires: .organizationRead, doc: APIOperation(
            "listOrganizations", "List the caller's organizations",
            description: "The user's organizations with their role, oldest membership first; for an API key, its organization (without `role`).",
            response: APISchema.list(of: APISchema.ref("Organization")))
        ) { _, _, principal in
            guard let userID = principal.userID else {
                let current = try await services.database.withScope(principal.scope) { connection in
                    try await services.organization(principal.organizationID, on: connection)
                }
                return try JSONResponse.make(.ok, DataEnvelope([current]))
            }
            let organizations = try await services.database.withScope(principal.scope) { connection in
                try await services.memberships(of: userID, on: connection)
            }
            return try JSONResponse.make(.ok, DataEnvelope(organizations))
        }
        routes.post("/organizations", requires: .organizationRead, doc: APIOperation(
            "createOrganization", "Create an organization",
            description: "The caller becomes its owner; it starts with the default plugins. API keys cannot create organizations (403). Use `POST /auth/switch` to act in it.",
            body: APISchema.ref("OrganizationInput"), status: 201, response: APISchema.ref("Organization"),
            responseHeaders: ["Location"])
        ) { request, context, principal in
            try await create(request, context, principal)
        }
        routes.patch("/organizations/current", requires: .organizationUpdate, doc: APIOperation(
            "updateCurrentOrganization", "Rename the current organization or change its currency",
            body: APISchema.ref("OrganizationPatch"), response: APISchema.ref("Organization"))
        ) { request, context, principal in
            try await update(request, context, principal)
        }
        routes.delete("/organizations/current", requires: .organizationDelete, doc: APIOperation(
            "deleteCurrentOrganization", "Delete the current organization",
            description: "Deletes it with all its records, members and API keys; tokens for it stop working.", status: 204)
        ) { _, _, principal in
            _ = try await services.database.withScope(principal.scope) { connection in
                try await connection.query(
                    "DELETE FROM organizations WHERE id = \(principal.organizationID)", logger: logger)
            }
            // This process forgets the organization at once; the others on the change notice.
            // (Waiting for the notice here too let the next request pass with the old token.)
            services.pluginStates.invalidate(principal.organizationID)
            services.memberships.invalidate(principal.organizationID)
            return JSONResponse.noContent()
        }
    }

    struct CreateBody: Decodable {
        let name: String
        let currency: String?
    }

    func create(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(CreateBody.self, request, context: context, allowedKeys: ["name", "currency"])
        var validator = Validator()
        let name = validator.text("name", body.name) ?? ""
        let currency = Self.currency(body.currency, &validator) ?? "USD"
        try validator.check()
        guard let userID = principal.userID else { throw APIError.forbidden("API keys cannot create organizations") }
        let id = UUID()
        let organization = try await services.database.transaction(TenantScope(organizationID: id, userID: userID)) { connection in
            try await services.createOrganization(id: id, name: name, currency: currency, ownerID: userID, on: connection)
        }
        return try JSONResponse.make(.created, organization, headers: [.location: "/api/v1/organizations/\(id.text)"])
    }

    struct UpdateBody: Decodable {
        let name: String?
        let currency: String?
    }

    func update(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(UpdateBody.self, request, context: context, allowedKeys: ["name", "currency"])
        var validator = Validator()
        let name = validator.text("name", body.name, required: false)
        if body.name != nil, name?.isEmpty == true { validator.add("name", "required", "must not be empty") }
        let currency = Self.currency(body.currency, &validator)
        try validator.check()
        let organization = try await services.database.withScope(principal.scope) { connection in
            try await connection.query(
                """
                UPDATE organizations SET name = COALESCE(\(name), name), currency = COALESCE(\(currency), currency),
                    updated_at = now()
                WHERE id = \(principal.organizationID)
                """, logger: logger)
            return try await services.organization(principal.organizationID, on: connection)
        }
        return try JSONResponse.make(.ok, organization)
    }

    static func currency(_ value: String?, _ validator: inout Validator) -> String? {
        guard let value else { return nil }
        guard Currency.isValid(value) else {
            validator.add("currency", "invalid_currency", "must be an ISO 4217 code such as USD or EUR")
            return nil
        }
        return value
    }
}
