import Foundation
import Kernel

/// Contacts and companies: the people and organisations a tenant does business with.
public struct ContactsPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "contacts", name: "Contacts", version: "1.0.0",
        summary: "Contacts and companies",
        permissions: ["contacts.read", "contacts.write"],
        entities: ["contacts", "companies"])

    public var migrations: [Migration] { [ContactsMigrations.tables] }

    public func register(into registrar: PluginRegistrar) {
        registrar.entity(CompanySchema.schema)
        registrar.entity(ContactSchema.schema)
        // The dashboard's `newContacts30d` (API.md, Insights), on the index of the default sort.
        let logger = registrar.services.logger
        registrar.insightFigures { org, connection in
            let rows = try await connection.query(
                """
                SELECT count(*)::int FROM contacts
                WHERE org_id = \(org) AND deleted_at IS NULL AND created_at >= now() - interval '30 days'
                """, logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return ["newContacts30d": .int(Int64(count))]
        }
    }
}
