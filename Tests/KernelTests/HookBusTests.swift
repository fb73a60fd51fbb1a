import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import Prometheus
import Synchronization
import Testing
import TestSupport

/// A plugin declaring one entity and hooks, to see the record store and the hook bus at work.
private final class CallLog: Sendable {
    let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

private struct WidgetPlugin: CRMPlugin {
    let calls = CallLog()

    let manifest = PluginManifest(id: "widgets", name: "Widgets", version: "1", summary: "w", permissions: PluginManifest.readWrite("widgets"))

    var migrations: [Migration] {
        [
            Migration("0001_widgets", KernelMigrations.entityTable("widgets", columns: ["name text NOT NULL", "size bigint"], searchSQL: "coalesce(name, '')")),
            // What every entity table has since issue 20: its words for search, the sort columns of indexed custom fields.
            Migration("0002_search_and_sort", KernelMigrations.searchTerms("widgets") + KernelMigrations.sortSlots("widgets")),
        ]
    }

    func register(into registrar: PluginRegistrar) {
        registrar.entity(EntitySchema(
            name: "widgets", table: "widgets", pluginID: "widgets",
            fields: [
                FieldSpec("name", column: "name", TextFieldType(), required: true),
                FieldSpec("size", column: "size", IntegerFieldType()),
            ],
            titleSQL: "t.name"))
        let calls = self.calls
        registrar.on("widgets.beforeSave", order: 20) { event, _ in
            calls.append("second:\(event.name)")
            if event.record["name"] == "forbidden" { event.reject("name", "that name is not allowed") }
        }
        registrar.on("widgets.beforeCreate", order: 10) { event, _ in
            calls.append("first:\(event.name)")
            // A before handler may change the record: default size.
            if event.record["size"]?.isNull ?? true { event.record["size"] = 1 }
        }
        registrar.on("widgets.afterCreate") { event, _ in
            calls.append("after:\(event.record["id"] != nil)")
        }
    }
}

@Suite struct HookBusTests {
    @Test func handlersRunInOrderMayChangeOrRejectTheRecord() async throws {
        let database = try await TestDatabase.create()
        let plugin = WidgetPlugin()
        let server = await CRMServer(
            configuration: try CRMConfiguration(environment: ["BCRYPT_COST": "10"]), registry: try PluginRegistry([plugin]),
            database: Database(url: database.appURL, logger: TestDatabase.logger), prometheus: PrometheusCollectorRegistry())
        try await server.makeApplication().test(.live) { client in
            let register = try await client.execute(
                uri: "/api/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"hooks@example.com","password":"long enough","name":"H"}"#))
            let token = try #require(JSONValue.parse(Data(buffer: register.body))?["accessToken"]?.stringValue)
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

            let created = try await client.execute(uri: "/api/v1/widgets", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"gear"}"#))
            #expect(created.status == .created)
            #expect(JSONValue.parse(Data(buffer: created.body))?["size"] == 1)
            #expect(plugin.calls.all == ["first:widgets.beforeCreate", "second:widgets.beforeSave", "after:true"])

            let rejected = try await client.execute(uri: "/api/v1/widgets", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"forbidden"}"#))
            #expect(rejected.status == .unprocessableContent)
            let problem = JSONValue.parse(Data(buffer: rejected.body))
            #expect(problem?["errors"]?.arrayValue?.first?["code"] == "rejected")
            let list = try await client.execute(uri: "/api/v1/widgets", method: .get, headers: headers)
            #expect(JSONValue.parse(Data(buffer: list.body))?["data"]?.arrayValue?.count == 1)

            // Disabled for the tenant: its hooks do not fire (and its routes answer plugin_disabled).
            _ = try await client.execute(uri: "/api/v1/plugins/widgets", method: .put, headers: headers, body: ByteBuffer(string: #"{"enabled":false}"#))
            let off = try await client.execute(uri: "/api/v1/widgets", method: .get, headers: headers)
            #expect(off.status == .notFound)
        }
    }

    /// `watches` says whether a write has anyone to tell: handlers of its events whose plugin
    /// is on, and handlers of every event that say they are interested.
    @Test func watchesKnowsWhoWouldAct() async throws {
        let org = UUID()
        let events = ["widgets.beforeCreate", "widgets.afterCreate"]
        let bus = HookBus()
        #expect(try await !bus.watches(events, organizationID: org, enabled: [:]))
        bus.onEvery(pluginID: "scripts", interest: { event, organization in event == "widgets.afterSave" && organization == org }) { _, _ in }
        #expect(try await !bus.watches(events, organizationID: org, enabled: [:]))
        #expect(try await bus.watches(events + ["widgets.afterSave"], organizationID: org, enabled: [:]))
        #expect(try await !bus.watches(events + ["widgets.afterSave"], organizationID: UUID(), enabled: [:]))
        #expect(try await !bus.watches(events + ["widgets.afterSave"], organizationID: org, enabled: ["scripts": false]))

        bus.on("widgets.afterCreate", pluginID: "audit") { _, _ in }
        #expect(try await bus.watches(events, organizationID: org, enabled: [:]))
        #expect(try await !bus.watches(events, organizationID: org, enabled: ["audit": false]))
        #expect(try await !bus.watches(["deals.afterCreate"], organizationID: org, enabled: [:]))

        let everything = HookBus()
        everything.onEvery(pluginID: "tracer") { _, _ in }
        #expect(try await everything.watches(["deals.afterCreate"], organizationID: org, enabled: [:]))
    }
}
