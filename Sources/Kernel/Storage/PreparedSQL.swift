import Logging
import PostgresNIO
import Synchronization

/// Runs statements assembled at run time (the record store's SQL, built from schemas) as
/// *named* prepared statements, so PostgreSQL parses and plans each distinct statement once per
/// connection instead of on every request. Parsing and planning were ~60 % of PostgreSQL's CPU
/// for `GET /contacts/{id}` (`perf`, bench/run.sh) while the execution itself was under 10 %.
///
/// PostgresNIO prepares and caches statements per connection only for `PostgresPreparedStatement`
/// types, whose name and SQL are static. `DynamicStatement` reads them from a task-local that
/// `execute` sets around the call: PostgresNIO reads them synchronously in the caller's task.
///
/// Every parameter is declared `text` (the statements cast them, `$1::uuid`): the SQL text
/// alone then fixes the prepared statement, whatever the values are.
enum PreparedSQL {
    /// Distinct statements given a name; beyond this, new ones run unnamed (a schema-driven API
    /// with free filter combinations could otherwise fill every session's plan cache).
    static let capacity = 2_000
    static let names = StatementNames()

    /// Runs `sql` with `texts` bound to `$1…$n`, prepared under a stable name.
    static func execute(
        _ sql: String, _ texts: [String?], on connection: PostgresConnection, logger: Logger
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        let binds = bindings(texts)
        guard let name = names.name(for: sql) else {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).map { $0 }
        }
        let statement = DynamicStatement.Current(name: name, sql: sql, count: texts.count)
        do {
            return try await DynamicStatement.$current.withValue(statement) {
                try await connection.execute(DynamicStatement(binds: binds), logger: logger)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == inFailedTransaction {
            // PostgresNIO remembers a failed preparation for the connection's lifetime: a statement
            // first prepared inside an aborted transaction would fail there forever. A new name
            // makes every connection prepare it afresh.
            names.rename(sql)
            throw error
        }
    }

    static let inFailedTransaction = "25P02"

    /// Texts (or NULLs) as parameters `$1…$n`.
    static func bindings(_ texts: [String?]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: texts.count)
        for text in texts {
            if let text { binds.append(text) } else { binds.appendNull() }
        }
        return binds
    }

    struct DynamicStatement: PostgresPreparedStatement {
        struct Current: Sendable {
            var name: String
            var sql: String
            var count: Int
        }
        typealias Row = PostgresRow

        @TaskLocal static var current = Current(name: "", sql: "", count: 0)

        static var name: String { current.name }
        static var sql: String { current.sql }
        static var bindingDataTypes: [PostgresDataType] { Array(repeating: .text, count: current.count) }

        let binds: PostgresBindings
        func makeBindings() throws -> PostgresBindings { binds }
        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// SQL text → statement name (`crm_<n>`), shared by every connection.
    final class StatementNames: Sendable {
        private struct State {
            var names: [String: String] = [:]
            var next = 0
        }
        private let state = Mutex(State())

        func name(for sql: String) -> String? {
            state.withLock { state in
                if let name = state.names[sql] { return name }
                guard state.names.count < PreparedSQL.capacity else { return nil }
                state.next += 1
                let name = "crm_\(state.next)"
                state.names[sql] = name
                return name
            }
        }

        func rename(_ sql: String) {
            state.withLock { state in
                guard state.names[sql] != nil else { return }
                state.next += 1
                state.names[sql] = "crm_\(state.next)"
            }
        }
    }
}
