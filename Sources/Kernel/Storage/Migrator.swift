import Logging
import PostgresNIO

/// Why migrations could not be applied; each description is one line for the operator.
public enum MigrationError: Error, CustomStringConvertible {
    case edited(owner: String, id: String)
    case failed(owner: String, id: String, message: String)
    case duplicateID(owner: String, id: String)

    public var description: String {
        switch self {
        case .edited(let owner, let id):
            return "migration \(owner)/\(id) was edited after it was applied (checksum differs); add a new migration instead"
        case .failed(let owner, let id, let message):
            return "migration \(owner)/\(id) failed: \(message)"
        case .duplicateID(let owner, let id):
            return "migration id \(owner)/\(id) is declared twice"
        }
    }
}

/// Applies pending migrations, in order, in one transaction under a PostgreSQL advisory lock,
/// so that several server processes starting at once apply each migration exactly once.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: the advisory lock key every `crm` process agrees on.
    static let lockKey: Int64 = 0x0C12_4D16_0001

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is pending and returns the `owner/id` of each migration it applied.
    @discardableResult
    public func migrate(_ sets: [MigrationSet]) async throws -> [String] {
        for set in sets {
            var seen = Set<String>()
            for migration in set.migrations where !seen.insert(migration.id).inserted {
                throw MigrationError.duplicateID(owner: set.owner, id: migration.id)
            }
        }
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                let applied = try await self.applyPending(sets, on: connection)
                try await connection.query("COMMIT", logger: self.logger)
                return applied
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    private func applyPending(_ sets: [MigrationSet], on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                owner text NOT NULL,
                id text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (owner, id)
            )
            """, logger: logger)
        var recorded: [String: String] = [:]
        let rows = try await connection.query("SELECT owner, id, checksum FROM schema_migrations", logger: logger)
        for try await (owner, id, checksum) in rows.decode((String, String, String).self) {
            recorded["\(owner)/\(id)"] = checksum
        }

        var applied: [String] = []
        for set in sets {
            for migration in set.migrations {
                let key = "\(set.owner)/\(migration.id)"
                if let checksum = recorded[key] {
                    guard checksum == migration.checksum else {
                        throw MigrationError.edited(owner: set.owner, id: migration.id)
                    }
                    continue
                }
                do {
                    for statement in SQLScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                } catch {
                    throw MigrationError.failed(owner: set.owner, id: migration.id, message: PostgresErrorText.describe(error))
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (owner, id, checksum) VALUES (\(set.owner), \(migration.id), \(migration.checksum))",
                    logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(key)"])
                applied.append(key)
            }
        }
        return applied
    }
}

/// Short operator-facing text of a PostgreSQL error (the server's message, not the dump).
public enum PostgresErrorText {
    public static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return message
            }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}
