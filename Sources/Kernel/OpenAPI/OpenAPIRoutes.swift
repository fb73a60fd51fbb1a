import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIKit
import Synchronization

/// `GET /api/v1/openapi.json` (the product's document, or with a token the caller's tenant
/// view) and `GET /docs` (a page that renders it, with its own assets and no CDN).
struct OpenAPIRoutes {
    let services: KernelServices

    func register(on routes: APIRoutes, router: Router<CRMRequestContext>) {
        let documents = OpenAPIDocuments(services: services)
        services.tenantChanges.add { documents.invalidate($0) }

        routes.tagged("service").anonymous(
            "/openapi.json", .get,
            doc: APIOperation(
                "getOpenAPIDocument", "This document",
                description: "Without a token, every plugin of the product; with one, the caller's organization's view: its enabled plugins and its custom fields as typed properties of each entity's `custom`.",
                response: .object(description: "An OpenAPI 3.1 document.", additionalProperties: .a(true)),
                errors: [401], optionalAuthentication: true)
        ) { _, context in
            let body = try await documents.document(for: context.principal?.organizationID)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-cache", .vary: "Authorization"],
                body: .init(byteBuffer: body))
        }

        let documentation = services.documentation
        documentation.document(.get, "/docs", APIOperation(
            "getDocsPage", "The API documentation page", response: .string, responseMediaType: .html, tag: "service"))
        router.get("/docs") { _, _ in Self.asset(PackageResources.index_html, "text/html; charset=utf-8") }
        documentation.document(.get, "/docs/:asset", APIOperation(
            "getDocsAsset", "The documentation page's script and style sheet", response: .string,
            responseMediaType: .init(rawValue: "text/*")!,
            parameters: [.path(name: "asset", schema: .string(allowedValues: ["docs.js", "docs.css"]))],
            tag: "service"))
        router.get("/docs/:asset") { _, context in
            switch context.parameters.get("asset") {
            case "docs.js": return Self.asset(PackageResources.docs_js, "text/javascript; charset=utf-8")
            case "docs.css": return Self.asset(PackageResources.docs_css, "text/css; charset=utf-8")
            default: throw APIError.notFound("no such asset")
            }
        }
    }

    static func asset(_ bytes: [UInt8], _ contentType: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The encoded documents: the product's, built once, and each tenant's, built on first use and
/// dropped when the tenant's plugins or custom fields change (in any process, through the
/// tenant-change listener).
final class OpenAPIDocuments: Sendable {
    /// Enough for the active tenants of a process; beyond it an arbitrary entry makes room.
    static let maximumTenants = 256

    let services: KernelServices
    private let product = Mutex<ByteBuffer?>(nil)
    private let tenants = Mutex<[UUID: ByteBuffer]>([:])

    init(services: KernelServices) {
        self.services = services
    }

    func invalidate(_ organizationID: UUID?) {
        tenants.withLock { cache in
            if let organizationID { cache[organizationID] = nil } else { cache.removeAll() }
        }
    }

    func document(for organizationID: UUID?) async throws -> ByteBuffer {
        guard let organizationID else {
            if let cached = product.withLock({ $0 }) { return cached }
            let encoded = try encode(builder.build(for: nil))
            product.withLock { $0 = encoded }
            return encoded
        }
        if let cached = tenants.withLock({ $0[organizationID] }) { return cached }
        let encoded = try encode(builder.build(for: try await view(of: organizationID)))
        tenants.withLock { cache in
            if cache.count >= Self.maximumTenants, let victim = cache.keys.randomElement() { cache[victim] = nil }
            cache[organizationID] = encoded
        }
        return encoded
    }

    var builder: OpenAPIDocumentBuilder {
        OpenAPIDocumentBuilder(
            documentation: services.documentation, registry: services.registry, entities: services.schemas.all,
            publicURL: services.configuration.publicURL)
    }

    private func view(of organizationID: UUID) async throws -> OpenAPIDocumentBuilder.TenantView {
        let tenant = try await services.pluginStates.tenant(organizationID)
        var view = OpenAPIDocumentBuilder.TenantView(
            enabledPlugins: Set(tenant.enabled.filter(\.value).keys), customFields: [:])
        for entity in services.schemas.all where view.enabledPlugins.contains(entity.pluginID) {
            view.customFields[entity.name] = try await services.records.customDefinitions(
                entity, organizationID: organizationID, tenant: tenant)
        }
        return view
    }

    private func encode(_ document: OpenAPI.Document) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        // Sorted: the same registrations give byte-identical documents (diffable, cacheable).
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return ByteBuffer(data: try encoder.encode(document))
    }
}
