import Kernel
import PostgresNIO
import Testing
import TestSupport

@Suite struct MigratorTests {
    let logger = TestDatabase.logger

    func sets(_ migrations: [Migration]) -> [MigrationSet] {
        [MigrationSet(owner: "sample", migrations: migrations)]
    }

    let first = Migration("0001_widgets", "CREATE TABLE widgets (id int PRIMARY KEY); CREATE INDEX widgets_id ON widgets (id);")
    let second = Migration("0002_gadgets", "CREATE TABLE gadgets (id int PRIMARY KEY);")

    @Test func pendingMigrationsAreAppliedOnceInOrder() async throws {
        let database = try await TestDatabase.create()
        try await database.withApp { client in
            let migrator = Migrator(client: client, logger: logger)
            let applied = try await migrator.migrate(sets([first, second]))
            #expect(applied == ["sample/0001_widgets", "sample/0002_gadgets"])
            let again = try await migrator.migrate(sets([first, second]))
            #expect(again.isEmpty)
            let rows = try await client.query("SELECT id FROM schema_migrations WHERE owner = 'sample' ORDER BY id", logger: logger)
            var ids: [String] = []
            for try await id in rows.decode(String.self) { ids.append(id) }
            #expect(ids == ["0001_widgets", "0002_gadgets"])
        }
    }

    @Test func anEditedAppliedMigrationStopsStartup() async throws {
        let database = try await TestDatabase.create()
        try await database.withApp { client in
            let migrator = Migrator(client: client, logger: logger)
            try await migrator.migrate(sets([first]))
            let edited = Migration("0001_widgets", "CREATE TABLE widgets (id bigint PRIMARY KEY);")
            await #expect(throws: MigrationError.self) {
                try await migrator.migrate(sets([edited, second]))
            }
            // Nothing after the edited migration ran.
            let gadgets = try await client.query("SELECT to_regclass('gadgets')::text", logger: logger)
            for try await name in gadgets.decode(String?.self) { #expect(name == nil) }
        }
    }

    @Test func aFailingMigrationAppliesNothingAndNamesItself() async throws {
        let database = try await TestDatabase.create()
        try await database.withApp { client in
            let broken = Migration("0002_broken", "CREATE TABLE oops (id int PRIMARY KEY); SELECT * FROM no_such_table;")
            do {
                try await Migrator(client: client, logger: logger).migrate(sets([first, broken]))
                Issue.record("a broken migration was applied")
            } catch let error as MigrationError {
                #expect("\(error)".contains("sample/0002_broken"))
                #expect("\(error)".contains("no_such_table"))
            }
            let rows = try await client.query("SELECT to_regclass('widgets')::text, to_regclass('oops')::text", logger: logger)
            for try await (widgets, oops) in rows.decode((String?, String?).self) {
                #expect(widgets == nil)
                #expect(oops == nil)
            }
        }
    }

    @Test func concurrentStartsApplyEachMigrationOnce() async throws {
        let database = try await TestDatabase.create()
        // Not idempotent SQL: a second application would fail on the existing table.
        let migrations = (1...5).map { Migration(String(format: "%04d_t", $0), "CREATE TABLE t\($0) (id int); SELECT pg_sleep(0.05);") }
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await database.withApp { client in
                        try await Migrator(client: client, logger: logger).migrate(sets(migrations))
                    }
                }
            }
            var all: [[String]] = []
            for try await applied in group { all.append(applied) }
            return all
        }
        #expect(results.flatMap { $0 }.count == 5)
        #expect(results.filter { !$0.isEmpty }.count == 1)
    }

    @Test func duplicateMigrationIDsAreRefused() async throws {
        let database = try await TestDatabase.create()
        try await database.withApp { client in
            await #expect(throws: MigrationError.self) {
                try await Migrator(client: client, logger: logger).migrate(sets([first, first]))
            }
        }
    }
}
