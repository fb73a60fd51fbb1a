import Foundation
import Logging
import NIOCore
import PostgresNIO

/// CSV imports (API.md, Import and export). An upload is checked and stored whole — its header
/// mapped, its rows counted, its bytes in 1 MiB chunks — in one transaction, then queued. The
/// `ImportWorker` of any server process stores its rows through the record store in batches;
/// each batch's records and the import's progress (the byte offset and line after its last row)
/// commit together, so an import that stops anywhere — a crash, a restart, a lost claim —
/// resumes after its last committed batch, without duplicates.
public final class Imports: Sendable {
    public static let chunkBytes = 1 << 20
    public static let maxBytes = 100 << 20
    /// Rows per batch: one transaction each.
    static let batchRows = 500
    /// A batch checks no new row after this long (its rows so far commit): rows whose
    /// before-hooks run to their time limit make short batches, not a 2-minute transaction.
    static let batchTime = Duration.seconds(1)
    /// A worker's turn with one import (see `ImportWorker`).
    static let sliceTime = Duration.seconds(2)
    /// The first rejected rows kept for `GET /imports/{id}`.
    static let keptRejections = 1000
    /// A claim not renewed this long (its process is gone) is taken over by another process.
    static let claimSeconds = 30

    let database: Database
    let records: RecordStore
    let schemas: Schemas
    let logger: Logger

    public init(database: Database, records: RecordStore, schemas: Schemas) {
        self.database = database
        self.records = records
        self.schemas = schemas
        self.logger = database.logger
    }

    /// An import as `GET /imports/{id}` shows it.
    public struct View: Encodable, Sendable {
        public let id: String
        public let entity: String
        public let status: String
        public let totalRows: Int
        public let processedRows: Int
        public let createdCount: Int
        public let rejectedCount: Int
        public let rejected: JSONValue
        public let error: String?
        public let createdAt: Date
        public let startedAt: Date?
        public let finishedAt: Date?
    }

    static let viewColumns = """
        id, entity, status, total_rows, processed_rows, created_count, rejected_count, rejected::text, error, created_at, \
        started_at, finished_at
        """

    static func view(_ row: PostgresRow) throws -> View {
        let (id, entity, status, total, processed, created, rejectedCount, rejected, error, createdAt, started, finished) =
            try row.decode((UUID, String, String, Int, Int, Int, Int, String, String?, Date, Date?, Date?).self)
        return View(
            id: id.text, entity: entity, status: status, totalRows: total, processedRows: processed, createdCount: created,
            rejectedCount: rejectedCount, rejected: JSONValue.parse(rejected) ?? [], error: error, createdAt: createdAt,
            startedAt: started, finishedAt: finished)
    }

    // MARK: Upload

    /// Stores the CSV `body` as a queued import of `schema` by `principal`. A header that names
    /// no field, a malformed or non-UTF-8 file, an empty one or one past `maxBytes` → nothing is
    /// stored (422, 413).
    public func create<Body: AsyncSequence & Sendable>(_ schema: EntitySchema, body: Body, principal: Principal) async throws -> View
    where Body.Element == ByteBuffer {
        let custom = try await records.customDefinitions(schema, principal)
        let id = UUID()
        return try await database.transaction(principal.scope) { connection in
            var reader = CSVReader()
            var mapping: ImportMapping?
            var headerEnd = 0
            var rows = 0
            var size = 0
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkBytes)
            var sequence = 0

            func count(_ found: [CSVReader.Row]) throws {
                for row in found {
                    if mapping == nil {
                        mapping = try ImportMapping(header: row.cells, schema: schema, custom: custom)
                        headerEnd = row.endOffset
                    } else if !row.cells.allSatisfy(\.isEmpty) {
                        rows += 1
                    }
                }
            }
            func store(_ bytes: [UInt8]) async throws {
                if sequence == 0 {
                    // The import's row first: the chunks refer to it. Its counts are set at the end.
                    guard let mapping else { throw Self.invalid("the first row must name the columns") }
                    try await self.insert(id: id, schema: schema, mapping: mapping, headerEnd: headerEnd, principal: principal, on: connection)
                }
                try await connection.query(
                    "INSERT INTO import_chunks (org_id, import_id, seq, data) VALUES (\(principal.organizationID), \(id), \(sequence), \(ByteBuffer(bytes: bytes)))",
                    logger: logger)
                sequence += 1
            }
            do {
                for try await buffer in body {
                    size += buffer.readableBytes
                    guard size <= Self.maxBytes else { throw APIError(.payloadTooLarge, "an import is at most \(Self.maxBytes >> 20) MiB") }
                    var rest = buffer.readableBytesView[...]
                    while !rest.isEmpty {
                        let take = rest.prefix(Self.chunkBytes - chunk.count)
                        try count(try reader.feed(take))
                        chunk.append(contentsOf: take)
                        rest = rest.dropFirst(take.count)
                        if chunk.count == Self.chunkBytes {
                            try await store(chunk)
                            chunk.removeAll(keepingCapacity: true)
                        }
                    }
                }
                if let last = try reader.finish() { try count([last]) }
            } catch let failure as CSVReader.Failure {
                switch failure {
                case .malformed(let line, let message): throw Self.invalid("line \(line): \(message)")
                case .notUTF8(let line): throw Self.invalid("line \(line) is not UTF-8 text")
                }
            }
            if !chunk.isEmpty || sequence == 0 { try await store(chunk) }
            let rows2 = try await connection.query(
                """
                UPDATE imports SET total_rows = \(rows), size_bytes = \(size)
                WHERE org_id = \(principal.organizationID) AND id = \(id) RETURNING \(unescaped: Self.viewColumns)
                """, logger: logger)
            for try await row in rows2 { return try Self.view(row) }
            throw RecordError.notFound("no import \(id.text)")
        }
    }

    static func invalid(_ message: String) -> RecordError {
        .invalid([FieldError(field: "body", code: "invalid_csv", message: message)])
    }

    private func insert(
        id: UUID, schema: EntitySchema, mapping: ImportMapping, headerEnd: Int, principal: Principal, on connection: PostgresConnection
    ) async throws {
        let targets = String(decoding: try JSONEncoder().encode(mapping.targets), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO imports (org_id, id, entity, actor, targets, size_bytes, total_rows, next_offset, next_line)
            VALUES (\(principal.organizationID), \(id), \(schema.name), \(principal.actorJSON.serialized())::jsonb, \(targets)::jsonb,
                    0, 0, \(headerEnd), 2)
            """, logger: logger)
    }

    // MARK: Reading

    public func list(_ principal: Principal) async throws -> [View] {
        try await database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.viewColumns) FROM imports WHERE org_id = \(principal.organizationID)
                ORDER BY created_at DESC, id DESC LIMIT 100
                """, logger: logger)
            var views: [View] = []
            for try await row in rows { views.append(try Self.view(row)) }
            return views
        }
    }

    public func get(_ id: UUID, _ principal: Principal) async throws -> View {
        try await database.withScope(principal.scope) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.viewColumns) FROM imports WHERE org_id = \(principal.organizationID) AND id = \(id)",
                logger: logger)
            for try await row in rows { return try Self.view(row) }
            throw RecordError.notFound("no import \(id.text)")
        }
    }
}
