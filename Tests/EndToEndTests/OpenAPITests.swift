import Foundation
import Hummingbird
@testable import Host
@testable import Kernel
import Prometheus
import Testing
import TestSupport

/// The OpenAPI document: complete (every route of the router is in it), accepted by standard
/// tools (a validator, a client generator and a response validator, in Tests/OpenAPI), and
/// per tenant (enabled plugins, typed custom fields, nothing of another tenant).
@Suite struct OpenAPITests {
    /// The whole product, built in process as `crm serve` builds it (nothing is served).
    static func productServer() async throws -> (CRMServer, Router<CRMRequestContext>) {
        let registry = try PluginRegistry(BundledPlugins.all(environment: [:]))
        let server = await CRMServer(
            configuration: try CRMConfiguration(environment: [:]), registry: registry,
            database: Database(url: try DatabaseURL(parsing: "postgres://nobody@127.0.0.1:1/none"), logger: TestDatabase.logger),
            prometheus: PrometheusCollectorRegistry())
        return (server, server.makeRouter())
    }

    /// `METHOD path` of every route the router serves that the document does not describe.
    static func undocumentedRoutes(_ router: Router<CRMRequestContext>, in document: JSONValue) -> [String] {
        router.routes.compactMap { route in
            let path = OpenAPIDocumentBuilder.openAPIPath(route.path.description)
            let documented = document["paths"]?[path]?[route.method.rawValue.lowercased()] != nil
            return documented ? nil : "\(route.method) \(route.path)"
        }
    }

    static func productDocument(_ server: CRMServer) throws -> JSONValue {
        let document = OpenAPIDocuments(services: server.services).builder.build(for: nil)
        return try #require(JSONValue.parse(try JSONEncoder().encode(document)))
    }

    @Test func everyRouteOfTheRouterIsDocumentedAndNothingElse() async throws {
        let (server, router) = try await Self.productServer()
        let document = try Self.productDocument(server)
        #expect(router.routes.count > 60)
        #expect(Self.undocumentedRoutes(router, in: document) == [])
        // The other way round: every documented operation is a route.
        let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \(OpenAPIDocumentBuilder.openAPIPath($0.path.description))" })
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys {
                #expect(served.contains("\(method) \(path)"), "documented but not served: \(method) \(path)")
            }
        }
        // Operation ids are unique (generators name functions after them).
        var ids: [String] = []
        for item in (document["paths"]?.objectValue ?? [:]).values {
            for operation in (item.objectValue ?? [:]).values { ids.append(operation["operationId"]?.stringValue ?? "") }
        }
        #expect(Set(ids).count == ids.count)
        #expect(!ids.contains(""))
    }

    @Test func aRouteAddedWithoutDocumentationIsCaught() async throws {
        let (server, router) = try await Self.productServer()
        router.get("/api/v1/sneaky") { _, _ in "hidden" }
        #expect(Self.undocumentedRoutes(router, in: try Self.productDocument(server)) == ["GET /api/v1/sneaky"])
    }

    @Test func standardToolsAcceptTheDocumentAndRunAGeneratedClient() async throws {
        guard let python = ProcessInfo.processInfo.environment["OPENAPI_PYTHON"] else {
            Issue.record("OPENAPI_PYTHON is not set: run the tests with scripts/test.sh (it installs the OpenAPI tools)")
            return
        }
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString)
        try await server.waitUntilReady()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("crm-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("OpenAPI/scenario.py")
        process.arguments = [script.path, server.baseURL, work.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("OK"))
        try await server.stop()
    }

    @Test func theTenantViewShowsItsPluginsAndCustomFieldsOnly() async throws {
        let server = try await SharedServer.shared.server()
        let owner = try await Session.register(on: server)
        let other = try await Session.register(on: server)
        let field = try await owner.send(.POST, "/custom-fields", [
            "entity": "contacts", "key": "score", "label": "Score", "type": "integer",
        ])
        #expect(field.status == 201, "\(field.text)")
        let formula = try await owner.send(.POST, "/custom-fields", [
            "entity": "contacts", "key": "double", "label": "Double score", "type": "number",
            "formula": "(record.custom.score or 0) * 2",
        ])
        #expect(formula.status == 201, "\(formula.text)")
        #expect(try await owner.send(.PUT, "/plugins/deals", ["enabled": false]).status == 200)

        let mine = try await owner.get("/openapi.json")
        #expect(mine.status == 200)
        let schemas = mine.json?["components"]?["schemas"]
        #expect(schemas?["ContactCustom"]?["properties"]?["score"]?["type"] == ["integer", "null"])
        #expect(schemas?["ContactCustom"]?["properties"]?["double"]?["readOnly"] == true)
        #expect(schemas?["ContactCustomInput"]?["properties"]?["score"] != nil)
        #expect(schemas?["ContactCustomInput"]?["properties"]?["double"] == nil)
        #expect(mine.json?["paths"]?["/api/v1/deals"] == nil)
        #expect(schemas?["Deal"] == nil)
        #expect(mine.json?["paths"]?["/api/v1/contacts"] != nil)

        let theirs = try await other.get("/openapi.json")
        #expect(theirs.json?["components"]?["schemas"]?["ContactCustom"]?["properties"]?["score"] == nil)
        #expect(theirs.json?["paths"]?["/api/v1/deals"] != nil)

        let product = try await HTTP.request(.GET, server.baseURL + "/api/v1/openapi.json")
        #expect(product.json?["paths"]?["/api/v1/deals"] != nil)
        #expect(product.json?["components"]?["schemas"]?["ContactCustom"]?["properties"]?["score"] == nil)

        // A change of the tenant's fields shows at once (the cached view is dropped).
        #expect(try await owner.send(.POST, "/custom-fields", ["entity": "companies", "key": "size", "type": "text"]).status == 201)
        let after = try await owner.get("/openapi.json")
        #expect(after.json?["components"]?["schemas"]?["CompanyCustom"]?["properties"]?["size"] != nil)

        let bad = try await HTTP.request(.GET, server.baseURL + "/api/v1/openapi.json", headers: ["Authorization": "Bearer nope"])
        #expect(bad.status == 401)
    }

    @Test func theDocsPageIsServedWithItsOwnAssets() async throws {
        let server = try await SharedServer.shared.server()
        let page = try await HTTP.request(.GET, server.baseURL + "/docs")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("/docs/docs.js"))
        #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        let script = try await HTTP.request(.GET, server.baseURL + "/docs/docs.js")
        #expect(script.status == 200)
        #expect(script.text.contains("openapi.json"))
        let style = try await HTTP.request(.GET, server.baseURL + "/docs/docs.css")
        #expect(style.status == 200)
        #expect(try await HTTP.request(.GET, server.baseURL + "/docs/../etc/passwd").status == 404)
        #expect(try await HTTP.request(.GET, server.baseURL + "/docs/other.js").status == 404)
    }
}
