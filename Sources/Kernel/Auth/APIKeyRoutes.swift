import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO

/// `/api-keys`: machine credentials of the organization. The key is shown once, at creation.
struct APIKeyRoutes {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("api-keys")
        routes.post("/api-keys", requires: .apiKeysManage, doc: APIOperation(
            "createApiKey", "Create an API key",
            description: "The secret `key` is in this answer only. The key's role cannot exceed the caller's (403).",
            body: APISchema.ref("ApiKeyInput"), status: 201, response: APISchema.ref("NewApiKey"), responseHeaders: ["Location"])
        ) { request, context, principal in
            try await create(request, context, principal)
        }
        routes.get("/api-keys", requires: .apiKeysManage, doc: APIOperation(
            "listApiKeys", "List the organization's API keys",
            description: "Active keys, oldest first, without their secrets.",
            response: APISchema.list(of: APISchema.ref("ApiKey")))
        ) { _, _, principal in
            let keys = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    """
                    SELECT id, name, role, display_prefix, created_at FROM api_keys
                    WHERE org_id = \(principal.organizationID) AND revoked_at IS NULL ORDER BY created_at, id
                    """, logger: logger)
                var keys: [APIKeyView] = []
                for try await (id, name, role, prefix, created) in rows.decode((UUID, String, String, String, Date).self) {
                    keys.append(APIKeyView(id: id.text, name: name, role: role, prefix: prefix, createdAt: created))
                }
                return keys
            }
            return try JSONResponse.make(.ok, DataEnvelope(keys))
        }
        routes.delete("/api-keys/:id", requires: .apiKeysManage, doc: APIOperation(
            "revokeApiKey", "Revoke an API key", description: "The key stops working at once.", status: 204)
        ) { _, context, principal in
            let id = try context.uuidParameter("id")
            let revoked = try await services.database.withScope(principal.scope) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE api_keys SET revoked_at = now()
                    WHERE org_id = \(principal.organizationID) AND id = \(id) AND revoked_at IS NULL RETURNING id
                    """, logger: logger)
                return try await rows.collect().count
            }
            guard revoked > 0 else { throw APIError.notFound("no API key \(id.text)") }
            return JSONResponse.noContent()
        }
    }

    struct CreateBody: Decodable {
        let name: String
        let role: Role
    }

    func create(_ request: Request, _ context: CRMRequestContext, _ principal: Principal) async throws -> Response {
        let body = try await JSONBody.decode(CreateBody.self, request, context: context, allowedKeys: ["name", "role"])
        var validator = Validator()
        let name = validator.text("name", body.name) ?? ""
        try validator.check()
        guard body.role <= principal.role else {
            throw APIError.forbidden("a key cannot have more power than its creator (\(principal.role.rawValue))")
        }
        let id = UUID()
        let created = APIKeys.generate(organizationID: principal.organizationID)
        let createdAt = try await services.database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (org_id, id, name, role, key_hash, display_prefix, created_by)
                VALUES (\(principal.organizationID), \(id), \(name), \(body.role.rawValue), \(SecretToken.digest(created.key)),
                        \(created.prefix), \(principal.userID))
                RETURNING created_at
                """, logger: logger)
            var date = Date()
            for try await value in rows.decode(Date.self) { date = value }
            return date
        }
        let view = APIKeyView(id: id.text, name: name, role: body.role.rawValue, prefix: created.prefix, createdAt: createdAt, key: created.key)
        return try JSONResponse.secret(.created, view, headers: [.location: "/api/v1/api-keys/\(id.text)"])
    }
}
