@testable import Contacts
import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// The Contacts module on its own: its declared shape, and its SQL on a real PostgreSQL.
@Suite struct ContactsTests {
    @Test func theManifestDeclaresWhatTheSchemasServe() {
        let plugin = ContactsPlugin()
        #expect(plugin.manifest.entities == [ContactSchema.schema.name, CompanySchema.schema.name])
        #expect(plugin.manifest.permissions.map(\.name) == ["contacts.read", "contacts.write"])
        #expect(plugin.manifest.permissions.map(\.minimumRole) == [.viewer, .member])
    }

    @Test func contactsCountByCreationDayWhileLiveAndOnlyForTheirOrganization() async throws {
        let database = try await MigratedDatabase.shared()
        let (mine, theirs) = (UUID(), UUID())
        let today = try await database.asOrganization(mine) { connection in
            try await connection.query(
                """
                INSERT INTO contacts (org_id, id, last_name, created_at) VALUES
                  (\(mine), gen_random_uuid(), 'a', now()), (\(mine), gen_random_uuid(), 'b', now()),
                  (\(mine), gen_random_uuid(), 'old', '2020-01-01T12:00:00Z')
                """, logger: TestDatabase.logger)
            try await connection.query("UPDATE contacts SET deleted_at = now() WHERE last_name = 'b'", logger: TestDatabase.logger)
            var day = ""
            for try await text in try await connection.query("SELECT (now() AT TIME ZONE 'UTC')::date::text", logger: TestDatabase.logger).decode(String.self) {
                day = text
            }
            return day
        }
        #expect(try await database.counters(mine) == ["contacts.created \(today) ": 1, "contacts.created 2020-01-01 ": 1])
        #expect(try await database.counters(theirs).isEmpty)
        // Restoring counts it again; a hard delete takes it back.
        try await database.asOrganization(mine) { connection in
            try await connection.query("UPDATE contacts SET deleted_at = NULL WHERE last_name = 'b'", logger: TestDatabase.logger)
            try await connection.query("DELETE FROM contacts WHERE last_name = 'old'", logger: TestDatabase.logger)
        }
        #expect(try await database.counters(mine) == ["contacts.created \(today) ": 2])
    }
}
