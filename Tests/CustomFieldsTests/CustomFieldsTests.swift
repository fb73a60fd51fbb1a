@testable import CustomFields
import Foundation
import Kernel
import PostgresNIO
import Scripting
import Testing
import TestSupport

/// The CustomFields module on its own: what it declares, and its definitions on a real
/// PostgreSQL, visible to their organization only.
@Suite struct CustomFieldsTests {
    let logger = TestDatabase.logger

    /// One sandbox for the process, as the server has (its Lua threads live as long as it).
    static let sandbox = LuaSandbox(limits: ScriptLimits())

    func plugin() -> CustomFieldsPlugin { CustomFieldsPlugin(sandbox: Self.sandbox) }

    @Test func itDeclaresTheRolesItsRoutesRequire() {
        let permissions = plugin().manifest.permissions
        #expect(permissions.map(\.name) == ["customfields.read", "customfields.manage"])
        #expect(permissions.map(\.minimumRole) == [.viewer, .admin])
        #expect(CustomFieldsDocs.keyPattern == CustomFieldDefinition.keyPattern)
    }

    @Test func definitionsLoadForTheirOrganizationOnly() async throws {
        let database = try await MigratedDatabase.shared()
        let (mine, theirs) = (UUID(), UUID())
        try await database.asOrganization(mine) { connection in
            try await connection.query(
                """
                INSERT INTO custom_field_definitions (org_id, id, entity, key, label, type, required, options)
                VALUES (\(mine), gen_random_uuid(), 'contacts', 'tier', 'Tier', 'select', false, '["gold","silver"]')
                """, logger: logger)
        }
        let loaded = try await database.asOrganization(mine) { try await DefinitionStore.load(mine, on: $0, logger: logger) }
        #expect(loaded.map(\.key) == ["tier"])
        #expect(loaded.first?.options == ["gold", "silver"])
        #expect(try await database.asOrganization(theirs) { try await DefinitionStore.load(theirs, on: $0, logger: logger) }.isEmpty)
    }
}
