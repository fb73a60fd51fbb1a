@testable import Activities
import Contacts
import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// The Activities module on its own: its schema's rules and its counters on a real PostgreSQL.
@Suite struct ActivitiesTests {
    let logger = TestDatabase.logger

    @Test func theSchemaRequiresATypeFromItsListAndASubject() {
        let fields = Dictionary(uniqueKeysWithValues: ActivitySchema.schema.fields.map { ($0.name, $0) })
        #expect(fields["type"]?.required == true)
        #expect(fields["type"]?.options == ["task", "call", "meeting", "note", "email"])
        #expect(fields["subject"]?.required == true)
        #expect(ActivitiesPlugin().manifest.dependsOn == ["contacts"])
    }

    @Test func openActivitiesCountByOwnerAndDueDayDoneOnesByCompletionDay() async throws {
        let database = try await MigratedDatabase.shared()
        let (org, owner, task) = (UUID(), UUID(), UUID())
        try await database.asOrganization(org) { connection in
            try await connection.query(
                """
                INSERT INTO activities (org_id, id, type, subject, due_at, owner_id) VALUES
                  (\(org), \(task), 'task', 'Call back', '2021-05-01T10:00:00Z', \(owner)),
                  (\(org), gen_random_uuid(), 'note', 'No date', NULL, NULL)
                """, logger: logger)
        }
        #expect(try await database.counters(org) == [
            "activities.open -infinity \(owner.text)": 1, "activities.due 2021-05-01 \(owner.text)": 1,
        ])
        try await database.asOrganization(org) { connection in
            try await connection.query("UPDATE activities SET completed_at = '2021-05-02T09:00:00Z' WHERE id = \(task)", logger: logger)
        }
        #expect(try await database.counters(org) == ["activities.done 2021-05-02 \(owner.text)": 1])
    }
}
