import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import Logging
import Prometheus
import Testing
import TestSupport

/// The middleware chain of the kernel, in process, with a test route that reads a JSON body.
@Suite struct MiddlewareTests {
    func makeApplication(cors: [String] = []) async throws -> some ApplicationProtocol {
        var configuration = try CRMConfiguration(environment: [:])
        configuration.corsOrigins = cors
        let server = await CRMServer(
            configuration: configuration, registry: try PluginRegistry([]),
            database: Database(url: try TestDatabase.serverURL(), logger: TestDatabase.logger),
            prometheus: PrometheusCollectorRegistry())
        let router = server.makeRouter()
        router.post("/echo") { request, context -> Response in
            let value = try await JSONBody.value(request, context: context)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
        }
        router.get("/boom") { _, _ -> Response in
            struct Secret: Error { let sql = "SELECT password FROM users" }
            throw Secret()
        }
        return Application(router: router)
    }

    @Test func malformedJSONIsABadRequestProblem() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"a\":")) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = JSONValue.parse(Data(buffer: response.body))
                #expect(problem?["code"] == "bad_request")
                #expect(problem?["status"] == 400)
            }
        }
    }

    @Test func bodiesOverOneMebibyteAreRefused() async throws {
        try await makeApplication().test(.live) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json"], body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(JSONValue.parse(Data(buffer: response.body))?["code"] == "payload_too_large")
            }
        }
    }

    @Test func aWrongContentTypeIsUnsupported() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(JSONValue.parse(Data(buffer: response.body))?["code"] == "unsupported_media_type")
            }
        }
    }

    @Test func unexpectedErrorsAreOpaque500s() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(!text.contains("SELECT"))
                #expect(JSONValue.parse(Data(buffer: response.body))?["code"] == "internal")
            }
        }
    }

    @Test func errorResponsesCarryTheSecurityHeadersAndRequestID() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/missing", method: .get, headers: [.requestID: "trace-42"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.requestID] == "trace-42")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.xFrameOptions] == "DENY")
                #expect(response.headers[.referrerPolicy] == "no-referrer")
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
            }
        }
    }

    @Test func anInvalidRequestIDIsReplaced() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "bad id\u{7f}<script>"]) { response in
                let id = response.headers[.requestID] ?? ""
                #expect(id != "bad id\u{7f}<script>")
                #expect(UUID(uuidString: id) != nil)
            }
        }
    }

    @Test func corsAnswersOnlyConfiguredOrigins() async throws {
        try await makeApplication(cors: ["https://app.example"]).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .options, headers: [.origin: "https://app.example", .accessControlRequestMethod: "GET"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example")
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://evil.example"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}
