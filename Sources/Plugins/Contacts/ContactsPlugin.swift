import Foundation
import Kernel

/// Contacts and companies: the people and organisations a tenant does business with.
public struct ContactsPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "contacts", name: "Contacts", version: "1.0.0",
        summary: "Contacts and companies",
        permissions: PluginManifest.readWrite("contacts"),
        entities: ["contacts", "companies"])

    public var migrations: [Migration] { [ContactsMigrations.tables, ContactsMigrations.counters, ContactsMigrations.sortIndexes, ContactsMigrations.searchTerms, ContactsMigrations.sortSlots] }

    public func register(into registrar: PluginRegistrar) {
        registrar.entity(CompanySchema.schema)
        registrar.entity(ContactSchema.schema)
        // The dashboard's `newContacts30d` (API.md, Insights): the counters of the whole days in
        // the window, and the contacts of its first, partial day (on the default sort's index).
        let logger = registrar.services.logger
        let window = "30 days"
        registrar.insightFigures { org, connection in
            let rows = try await connection.query(
                """
                SELECT (coalesce((SELECT sum(n) FROM insight_counters
                                  WHERE org_id = \(org) AND name = 'contacts.created' AND day > \(unescaped: InsightCounters.firstDay(of: window))), 0)
                        + (SELECT count(*) FROM contacts
                           WHERE org_id = \(org) AND deleted_at IS NULL AND \(unescaped: InsightCounters.partialFirstDay(of: window, column: "created_at"))))::int
                """, logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return ["newContacts30d": .int(Int64(count))]
        }
    }
}
