import Foundation
import Kernel
import PostgresNIO
import Testing
import TestSupport

@Suite struct DatabaseTests {
    /// A read made inside a transaction of the same scope (a Lua before-handler's `crm.get`
    /// during a write) runs on the transaction's connection: with a pool of one connection it
    /// would otherwise wait for itself forever.
    @Test func aNestedReadUsesTheTasksConnection() async throws {
        let test = try await TestDatabase.create()
        let database = Database(url: test.appURL, logger: TestDatabase.logger, poolSize: 1, maximumConnections: 1)
        let scope = TenantScope(organizationID: UUID(), userID: UUID())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            group.addTask {
                let ids = try await database.transaction(scope) { outer in
                    let inner = try await database.withScope(scope) { connection in
                        try await connection.query("SELECT 1", logger: TestDatabase.logger)
                        return connection.id
                    }
                    return [outer.id, inner]
                }
                #expect(ids[0] == ids[1])
                // The lease ends with the transaction: the next call takes a connection again.
                let after = try await database.withScope(scope) { connection in
                    try await connection.query("SELECT current_setting('app.org_id')", logger: TestDatabase.logger).collect().count
                }
                #expect(after == 1)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw TestSetupError("a nested read waited for a second connection (pool of one)")
            }
            try await group.next()  // the check, or the guard's timeout (the pool's run never ends)
            group.cancelAll()
        }
    }
}
