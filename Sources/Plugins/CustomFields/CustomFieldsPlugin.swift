import Foundation
import Kernel
import Scripting

/// Per-tenant typed custom fields on every entity, with Lua validation and formulas.
public struct CustomFieldsPlugin: CRMPlugin {
    let evaluator: ExpressionEvaluator

    public init(sandbox: LuaSandbox) {
        self.evaluator = ExpressionEvaluator(sandbox: sandbox)
    }

    public let manifest = PluginManifest(
        id: "customfields", name: "Custom fields", version: "1.0.0",
        summary: "Per-tenant custom fields with validation and formulas",
        permissions: [CustomFieldRoutes.read, CustomFieldRoutes.manage],
        entities: ["custom-fields"])

    public var migrations: [Migration] { [CustomFieldMigrations.definitions, CustomFieldMigrations.indexed] }

    public func register(into registrar: PluginRegistrar) {
        CustomFieldsDocs.register(registrar.services.documentation)
        let definitions = DefinitionStore(database: registrar.services.database)
        let provider = CustomFieldProviderImpl(definitions: definitions, evaluator: evaluator)
        registrar.provideCustomFields(provider)
        registrar.services.tenantChanges.add { definitions.invalidate($0) }
        let logger = registrar.services.logger
        // A Lua plugin's `fields` become the tenant's definitions when it is enabled (kept,
        // with their data, when it is disabled; an existing key is left as the tenant has it).
        registrar.services.pluginEnabled.add { organizationID, plugin, connection in
            for (entity, fields) in plugin.fields {
                for field in fields {
                    guard let key = field["key"]?.stringValue, let type = field["type"]?.stringValue,
                        CustomFieldDefinition.types[type] != nil, CustomFieldDefinition.isWellFormedKey(key)
                    else {
                        logger.warning("skipping a malformed field of a Lua plugin", metadata: ["plugin": "\(plugin.id)"])
                        continue
                    }
                    let label = field["label"]?.stringValue ?? key
                    let options = field["options"].map { $0.serialized() }
                    try await connection.query(
                        """
                        INSERT INTO custom_field_definitions (org_id, id, entity, key, label, type, options)
                        VALUES (\(organizationID), \(UUID()), \(entity), \(key), \(label), \(type), \(options)::jsonb)
                        ON CONFLICT (org_id, entity, key) DO NOTHING
                        """, logger: logger)
                }
            }
            definitions.invalidate(organizationID)
        }
        CustomFieldRoutes(services: registrar.services, definitions: definitions, evaluator: evaluator).register(on: registrar.routes)
    }
}

struct CustomFieldProviderImpl: CustomFieldProvider {
    let definitions: DefinitionStore
    let evaluator: ExpressionEvaluator

    func definitions(_ organizationID: UUID, entity: String) async throws -> [CustomFieldDefinition] {
        try await definitions.all(organizationID).filter { $0.entity == entity }
    }

    func evaluate(_ expression: String, value: JSONValue, record: Record, organizationID: UUID) async -> Result<JSONValue, ExpressionFailure> {
        await evaluator.evaluate(expression, value: value, record: record, organizationID: organizationID)
    }
}

enum CustomFieldMigrations {
    /// `indexed` definitions have their values copied into the entity's sort columns (`SortSlot`).
    static let indexed = Migration("0002_indexed", "ALTER TABLE custom_field_definitions ADD COLUMN indexed boolean NOT NULL DEFAULT false")

    static let definitions = Migration("0001_custom_field_definitions", """
        CREATE TABLE custom_field_definitions (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            entity text NOT NULL,
            key text NOT NULL,
            label text NOT NULL,
            type text NOT NULL,
            required boolean NOT NULL DEFAULT false,
            options jsonb,
            default_value jsonb,
            validation jsonb,
            formula text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, id),
            UNIQUE (org_id, entity, key)
        );
        CREATE TABLE custom_field_archive (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            entity text NOT NULL,
            record_id uuid NOT NULL,
            key text NOT NULL,
            value jsonb NOT NULL,
            archived_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX custom_field_archive_record ON custom_field_archive (org_id, entity, record_id);
        \(KernelMigrations.tenantIsolation("custom_field_definitions"))
        \(KernelMigrations.tenantIsolation("custom_field_archive"))
        """)
}
