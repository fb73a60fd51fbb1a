import Crypto
import Foundation

/// One forward-only schema change owned by a plugin (or the kernel). Its `checksum` is recorded
/// when applied; a migration edited afterwards stops start-up instead of silently diverging.
public struct Migration: Sendable, Equatable {
    /// Sortable id, unique within its owner (`0001_organizations`).
    public let id: String
    /// SQL run in one transaction; may hold several statements.
    public let sql: String

    public init(_ id: String, _ sql: String) {
        self.id = id
        self.sql = sql
    }

    /// SHA-256 of the SQL text, hex.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The migrations of one owner, applied in order.
public struct MigrationSet: Sendable {
    public let owner: String
    public let migrations: [Migration]

    public init(owner: String, migrations: [Migration]) {
        self.owner = owner
        self.migrations = migrations
    }
}
