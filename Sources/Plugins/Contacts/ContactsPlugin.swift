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
    }
}
