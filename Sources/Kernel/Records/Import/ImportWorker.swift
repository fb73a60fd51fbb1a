import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// Stores queued imports' rows (see `Imports`). Any server process may run an import: a claim
/// (`FOR UPDATE SKIP LOCKED`, a fresh claim token) takes the waiting import served longest ago,
/// so tenants take turns; a process works a slice of batches, then lets it go to the back of the
/// line. Each batch first checks, under the import row's lock, that its claim still holds, so
/// two processes never store the same rows.
public struct ImportWorker: Service {
    let imports: Imports
    let readiness: Readiness
    /// Batches per claim before the import goes to the back of the line, at most.
    static let slice = 20

    public init(imports: Imports, readiness: Readiness) {
        self.imports = imports
        self.readiness = readiness
    }

    var logger: Logger { imports.logger }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled, !(await readiness.waitUntilMigrated(timeout: .seconds(60))) {}
            while !Task.isCancelled {
                do {
                    if let claim = try await imports.claim() {
                        try await imports.work(claim, batches: Self.slice)
                    } else {
                        // Imports wait a second at most to start; an idle server asks once a second.
                        try await Task.sleep(for: .seconds(1))
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("import worker", metadata: ["error": "\(PostgresErrorText.describe(error))"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}

extension Imports {
    /// A claimed import: who runs it, where it stands.
    struct Claim: Sendable {
        let organizationID: UUID
        let id: UUID
        let token: UUID
        let entity: String
        let actor: JSONValue
        let targets: [ImportMapping.Target]
    }

    /// Where an import stands: the next row's byte offset and line.
    struct Position: Sendable {
        var offset: Int
        var line: Int
    }

    /// What a claim statement returns, read by `claimed`.
    static let claimColumns = "i.org_id, i.id, i.entity, i.actor::text, i.targets::text"

    /// The claim a claiming statement returned, if it claimed one.
    static func claimed(_ rows: PostgresRowSequence, token: UUID) async throws -> Claim? {
        for try await (org, id, entity, actor, targets) in rows.decode((UUID, UUID, String, String, String).self) {
            let decoded = (try? JSONDecoder().decode([ImportMapping.Target].self, from: Data(targets.utf8))) ?? []
            return Claim(organizationID: org, id: id, token: token, entity: entity, actor: JSONValue.parse(actor) ?? .null, targets: decoded)
        }
        return nil
    }

    func claim() async throws -> Claim? {
        let token = UUID()
        return try await database.withScope(TenantScope(worker: true)) { connection in
            let rows = try await connection.query(
                """
                UPDATE imports i SET status = 'running', claim_token = \(token), claimed_at = clock_timestamp(),
                       started_at = coalesce(i.started_at, clock_timestamp())
                FROM (SELECT org_id, id FROM imports
                      WHERE status = 'queued'
                         OR (status = 'running' AND claimed_at < clock_timestamp() - make_interval(secs => \(Self.claimSeconds)))
                      ORDER BY claimed_at NULLS FIRST, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) next
                WHERE i.org_id = next.org_id AND i.id = next.id
                RETURNING \(unescaped: Self.claimColumns)
                """, logger: logger)
            return try await Self.claimed(rows, token: token)
        }
    }

    /// Runs one import here until it is done or failed (`crm import`), reporting after each
    /// batch. When a server's worker holds it, this follows its progress instead.
    public func run(_ id: UUID, organizationID: UUID, progress: (View) -> Void) async throws -> View {
        while true {
            if let claim = try await claim(id, organizationID: organizationID) {
                try await work(claim, batches: 1)
            } else {
                try await Task.sleep(for: .milliseconds(500))
            }
            let view = try await get(id, Principal.system("import", organizationID: organizationID))
            progress(view)
            if view.status == "done" || view.status == "failed" { return view }
        }
    }

    /// This import, if it waits or its claim has run out (or is this process's own, dropped
    /// after its batch by `work`).
    func claim(_ id: UUID, organizationID: UUID) async throws -> Claim? {
        let token = UUID()
        return try await database.withScope(TenantScope(organizationID: organizationID)) { connection in
            let rows = try await connection.query(
                """
                UPDATE imports i SET status = 'running', claim_token = \(token), claimed_at = clock_timestamp(),
                       started_at = coalesce(i.started_at, clock_timestamp())
                WHERE i.org_id = \(organizationID) AND i.id = \(id)
                  AND (i.status = 'queued' OR (i.status = 'running' AND (i.claim_token IS NULL
                       OR i.claimed_at < clock_timestamp() - make_interval(secs => \(Self.claimSeconds)))))
                RETURNING \(unescaped: Self.claimColumns)
                """, logger: logger)
            return try await Self.claimed(rows, token: token)
        }
    }

    /// Up to `batches` batches of the claimed import; then it waits for its next turn (its
    /// claim is dropped), unless it is done or failed.
    func work(_ claim: Claim, batches: Int) async throws {
        let scope = TenantScope(organizationID: claim.organizationID)
        guard let schema = schemas.schema(claim.entity) else {
            return try await finish(claim, status: "failed", error: "the entity \(claim.entity) no longer exists")
        }
        let cache = ChunkCache()
        // A slice ends after `batches` batches or `sliceTime`, whichever comes first, so an
        // import whose rows are slow (before-hooks near their time limit) lets other tenants'
        // imports go between its batches.
        let clock = ContinuousClock()
        let sliceEnd = clock.now + Self.sliceTime
        for _ in 0..<batches where clock.now < sliceEnd {
            guard let principal = try await principal(claim) else {
                return try await finish(claim, status: "failed", error: "the member or API key that started the import no longer has access")
            }
            guard let position = try await position(claim, scope) else { return }  // claimed elsewhere
            let rows = try await read(claim, from: position, count: Self.batchRows, cache: cache)
            if rows.isEmpty { return try await finish(claim, status: "done", error: nil) }
            try await store(rows, of: claim, schema: schema, principal: principal)
        }
        // Back of the line: another tenant's import goes first.
        _ = try await database.withScope(scope) { connection in
            try await connection.query(
                """
                UPDATE imports SET claimed_at = clock_timestamp() - make_interval(secs => \(Self.claimSeconds + 1)), claim_token = NULL
                WHERE org_id = \(claim.organizationID) AND id = \(claim.id) AND claim_token = \(claim.token) AND status = 'running'
                """, logger: logger)
        }
    }

    /// The importer with their role now (a removed member's or revoked key's import stops).
    func principal(_ claim: Claim) async throws -> Principal? {
        guard let type = claim.actor["type"]?.stringValue else { return nil }
        // An operator's `crm import` (the server acting for them): no member to lose access.
        if type == "system", let cause = claim.actor["id"]?.stringValue {
            return Principal.system(cause, organizationID: claim.organizationID)
        }
        guard let id = claim.actor["id"]?.stringValue.flatMap(UUID.init(text:)) else { return nil }
        return try await database.withScope(TenantScope(organizationID: claim.organizationID)) { connection in
            let rows = type == "user"
                ? try await connection.query(
                    "SELECT role FROM memberships WHERE org_id = \(claim.organizationID) AND user_id = \(id)", logger: logger)
                : try await connection.query(
                    "SELECT role FROM api_keys WHERE org_id = \(claim.organizationID) AND id = \(id) AND revoked_at IS NULL", logger: logger)
            for try await role in rows.decode(String.self) {
                guard let role = Role(rawValue: role), role.rank >= Role.member.rank else { return nil }
                return Principal(kind: type == "user" ? .user(id) : .apiKey(id), organizationID: claim.organizationID, role: role)
            }
            return nil
        }
    }

    /// Where the import stands, or nil when its claim is no longer this worker's.
    func position(_ claim: Claim, _ scope: TenantScope) async throws -> Position? {
        try await database.withScope(scope) { connection in
            let rows = try await connection.query(
                """
                SELECT next_offset, next_line FROM imports
                WHERE org_id = \(claim.organizationID) AND id = \(claim.id) AND claim_token = \(claim.token) AND status = 'running'
                """, logger: logger)
            for try await (offset, line) in rows.decode((Int, Int).self) { return Position(offset: offset, line: line) }
            return nil
        }
    }

    /// The chunk a worker read last: the next batch most often starts in it too.
    final class ChunkCache: @unchecked Sendable {
        var sequence = -1
        var bytes = ByteBuffer()
    }

    /// Up to `count` non-blank rows from `position`, reading only the chunks they are in, and
    /// of those only as far as the rows go (a 1 MiB chunk holds thousands of rows).
    func read(_ claim: Claim, from position: Position, count: Int, cache: ChunkCache) async throws -> [CSVReader.Row] {
        var reader = CSVReader(offset: position.offset, line: position.line)
        var rows: [CSVReader.Row] = []
        var sequence = position.offset / Self.chunkBytes
        var skip = position.offset - sequence * Self.chunkBytes
        while rows.count < count {
            if cache.sequence != sequence {
                let chunk: ByteBuffer? = try await database.withScope(TenantScope(organizationID: claim.organizationID)) { connection in
                    let found = try await connection.query(
                        "SELECT data FROM import_chunks WHERE org_id = \(claim.organizationID) AND import_id = \(claim.id) AND seq = \(sequence)",
                        logger: logger)
                    for try await data in found.decode(ByteBuffer.self) { return data }
                    return nil
                }
                guard let chunk else {
                    if let last = try reader.finish(), !last.cells.allSatisfy(\.isEmpty) { rows.append(last) }
                    break
                }
                cache.sequence = sequence
                cache.bytes = chunk
            }
            var bytes = cache.bytes.readableBytesView.dropFirst(skip)
            skip = 0
            sequence += 1
            // 64 KiB at a time: rows past `count` are read again next batch.
            while !bytes.isEmpty, rows.count < count {
                let piece = bytes.prefix(64 << 10)
                rows += try reader.feed(piece).filter { !$0.cells.allSatisfy(\.isEmpty) }
                bytes = bytes.dropFirst(piece.count)
            }
        }
        return Array(rows.prefix(count))
    }

    /// One batch in one transaction: its records and the import's progress. A database error
    /// in one row aborts the transaction: then each row goes alone, progress with it.
    func store(_ rows: [CSVReader.Row], of claim: Claim, schema: EntitySchema, principal: Principal) async throws {
        do {
            try await storeTogether(rows, of: claim, schema: schema, principal: principal)
        } catch let error as PSQLError {
            logger.info("import batch retried row by row", metadata: ["error": "\(PostgresErrorText.describe(error))"])
            for row in rows { try await storeTogether([row], of: claim, schema: schema, principal: principal) }
        }
    }

    private func storeTogether(_ rows: [CSVReader.Row], of claim: Claim, schema: EntitySchema, principal: Principal) async throws {
        let context = try await records.createContext(schema, principal)
        let mapping = ImportMapping(targets: claim.targets)
        try await database.transaction(principal.scope) { connection in
            // The claim must still be ours, and stays so until this commits (the row lock).
            let mine = try await connection.query(
                """
                SELECT 1 FROM imports WHERE org_id = \(claim.organizationID) AND id = \(claim.id)
                  AND claim_token = \(claim.token) AND status = 'running' FOR UPDATE
                """, logger: logger)
            var held = false
            for try await _ in mine { held = true }
            guard held else { return }
            // Each row's body, or why its cells do not read as the entity's fields.
            let mapped: [(row: CSVReader.Row, body: Result<[String: JSONValue], RecordError>)] = rows.map { row in
                (row, Result { try mapping.body(row.cells, schema: schema, custom: context.custom) }.mapError { $0 as? RecordError ?? .invalid([]) })
            }
            let bodies = mapped.compactMap { try? $0.body.get() }
            let outcomes = try await records.createBatch(
                schema, bodies: bodies, principal: principal, context: context, budget: Self.batchTime, on: connection)
            // The rows this batch got to, in file order: it may stop early (slow before-hooks).
            var created = 0
            var rejected: [JSONValue] = []
            var processed: [CSVReader.Row] = []
            var next = outcomes.makeIterator()
            rows: for entry in mapped {
                switch entry.body {
                case .failure(let error):
                    rejected += Self.rejections(error, line: entry.row.line)
                case .success:
                    // No outcome: the batch stopped before this row; it starts the next one.
                    guard let outcome = next.next() else { break rows }
                    if let outcome { rejected += Self.rejections(outcome, line: entry.row.line) } else { created += 1 }
                }
                processed.append(entry.row)
            }
            let rejectedRows = Set(rejected.compactMap { $0["line"]?.doubleValue }).count
            guard let last = processed.last else { return }
            try await connection.query(
                """
                UPDATE imports SET processed_rows = processed_rows + \(processed.count), created_count = created_count + \(created),
                    rejected_count = rejected_count + \(rejectedRows),
                    rejected = CASE WHEN jsonb_array_length(rejected) >= \(Self.keptRejections) THEN rejected
                                    ELSE (SELECT coalesce(jsonb_agg(e), '[]') FROM (
                                          SELECT e FROM jsonb_array_elements(rejected || \(JSONValue.array(rejected).serialized())::jsonb) e
                                          LIMIT \(Self.keptRejections)) kept) END,
                    next_offset = \(last.endOffset), next_line = \(last.nextLine), claimed_at = clock_timestamp()
                WHERE org_id = \(claim.organizationID) AND id = \(claim.id)
                """, logger: logger)
        }
    }

    /// A refused row as `rejected` entries: one per field error, else one for the row.
    static func rejections(_ error: any Error, line: Int) -> [JSONValue] {
        var errors: [FieldError]
        switch error {
        case let error as RecordError: errors = error.fieldErrors
        case let error as APIError: errors = error.errors.isEmpty ? [FieldError(field: "row", code: error.code.rawValue, message: error.detail)] : error.errors
        default: errors = []
        }
        if errors.isEmpty { errors = [FieldError(field: "row", code: "rejected", message: "\(error)")] }
        return errors.map { ["line": .int(Int64(line)), "field": .string($0.field), "code": .string($0.code), "message": .string($0.message)] }
    }

    func finish(_ claim: Claim, status: String, error: String?) async throws {
        _ = try await database.withScope(TenantScope(organizationID: claim.organizationID)) { connection in
            try await connection.query(
                """
                UPDATE imports SET status = \(status), error = \(error), finished_at = clock_timestamp(), claim_token = NULL
                WHERE org_id = \(claim.organizationID) AND id = \(claim.id) AND claim_token = \(claim.token)
                """, logger: logger)
        }
    }
}
