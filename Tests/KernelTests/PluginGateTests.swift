import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import Prometheus
import Testing
import TestSupport

/// A plugin with one route, to see the kernel gate it per tenant.
private struct PingPlugin: CRMPlugin {
    let manifest = PluginManifest(id: "ping", name: "Ping", version: "1", summary: "ping", permissions: [Permission("ping.read", minimumRole: .viewer)])

    func register(into registrar: PluginRegistrar) {
        registrar.routes.get("/ping", requires: .declared("ping.read"), doc: APIOperation("ping", "Ping")) { _, _, _ in
            try JSONResponse.make(.ok, ["pong": true])
        }
    }
}

@Suite struct PluginGateTests {
    @Test func aDisabledPluginsRoutesAnswerPluginDisabled() async throws {
        let database = try await TestDatabase.create()
        let configuration = try CRMConfiguration(environment: ["BCRYPT_COST": "10"])
        let server = await CRMServer(
            configuration: configuration, registry: try PluginRegistry([PingPlugin()]),
            database: Database(url: database.appURL, logger: TestDatabase.logger),
            prometheus: PrometheusCollectorRegistry())
        try await server.makeApplication().test(.live) { client in
            let register = try await client.execute(
                uri: "/api/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"gate@example.com","password":"long enough","name":"G"}"#))
            let token = try #require(JSONValue.parse(Data(buffer: register.body))?["accessToken"]?.stringValue)
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

            let on = try await client.execute(uri: "/api/v1/ping", method: .get, headers: auth)
            #expect(on.status == .ok)
            let anonymous = try await client.execute(uri: "/api/v1/ping", method: .get)
            #expect(anonymous.status == .unauthorized)

            let disable = try await client.execute(
                uri: "/api/v1/plugins/ping", method: .put, headers: auth, body: ByteBuffer(string: #"{"enabled":false}"#))
            #expect(disable.status == .ok)
            let off = try await client.execute(uri: "/api/v1/ping", method: .get, headers: auth)
            #expect(off.status == .notFound)
            #expect(JSONValue.parse(Data(buffer: off.body))?["code"] == "plugin_disabled")
        }
    }
}
