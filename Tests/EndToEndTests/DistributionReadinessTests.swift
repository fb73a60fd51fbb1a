import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

/// docs/scaling.md: past one PostgreSQL, the schema is distributed by `org_id` with Citus.
/// Citus itself is not installable here, so this keeps the migrated schema (kernel and every
/// bundled plugin) ready for it: what `create_distributed_table` and `create_reference_table`
/// would refuse is refused here first.
@Suite struct DistributionReadinessTests {
    /// The global tables (Citus reference tables): people and sign-in state, reached by
    /// unguessable keys or a user's id, never by a tenant's query. Few, small, and listed here
    /// on purpose: a new one is a decision for docs/scaling.md, not an accident.
    static let referenceTables: Set<String> = ["users", "oauth_identities", "oauth_states", "refresh_tokens", "schema_migrations"]

    func catalog(_ sql: String) async throws -> [String] {
        let database = try await SharedServer.shared.database()
        return try await database.withAdmin { client in
            try await client.withConnection { connection in
                var lines: [String] = []
                for try await line in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String.self) {
                    lines.append(line)
                }
                return lines
            }
        }
    }

    /// Every table that is not a reference table is distributed: `organizations` by `id`, the
    /// others by `org_id`.
    func distributed() async throws -> Set<String> {
        Set(try await catalog("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"))
            .subtracting(Self.referenceTables)
    }

    @Test func everyTenantTableCarriesTheDistributionColumn() async throws {
        let missing = try await catalog(
            """
            SELECT c.relname::text FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
              AND c.relname <> 'organizations'
              AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND a.attnotnull)
            """)
        #expect(Set(missing).subtracting(Self.referenceTables).isEmpty, "tables without a NOT NULL org_id: \(missing)")
        #expect(try await distributed().count >= 20)
        let present = Set(try await catalog("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"))
        #expect(Self.referenceTables.isSubset(of: present), "a reference table was renamed or dropped: update docs/scaling.md")
    }

    @Test func primaryKeysAndUniqueConstraintsIncludeTheDistributionColumn() async throws {
        let tables = try await distributed()
        let offenders = try await catalog(
            """
            SELECT t.relname || ': ' || i.relname FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid
                              AND a.attname = CASE WHEN t.relname = 'organizations' THEN 'id' ELSE 'org_id' END
                              AND a.attnum = ANY (x.indkey))
            """)
        let distributedOffenders = offenders.filter { tables.contains(String($0.prefix { $0 != ":" })) }
        #expect(distributedOffenders.isEmpty, "unique indexes without org_id: \(distributedOffenders)")
    }

    @Test func foreignKeysBetweenTenantTablesIncludeTheDistributionColumn() async throws {
        let tables = try await distributed()
        // (table, referenced table, does the key pair org_id with org_id — or with organizations.id?)
        let keys = try await catalog(
            """
            SELECT t.relname || '>' || r.relname || '>' ||
                   EXISTS (SELECT 1 FROM unnest(c.conkey, c.confkey) AS k(local, remote)
                           JOIN pg_attribute la ON la.attrelid = c.conrelid AND la.attnum = k.local
                           JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.remote
                           WHERE la.attname = 'org_id' AND ra.attname = CASE WHEN r.relname = 'organizations' THEN 'id' ELSE 'org_id' END)::text
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
            WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace
            """)
        #expect(!keys.isEmpty)
        for key in keys {
            let parts = key.split(separator: ">").map(String.init)
            let (table, referenced, paired) = (parts[0], parts[1], parts[2] == "true")
            switch (tables.contains(table), tables.contains(referenced)) {
            case (true, true):
                #expect(paired, "\(table) → \(referenced) does not pair org_id: co-location needs it")
            case (false, true):
                Issue.record("reference table \(table) references distributed \(referenced): Citus refuses it")
            default:
                break  // distributed → reference, or between reference tables: allowed.
            }
        }
    }
}
