import Crypto
import Foundation
import Logging
import PostgresNIO

/// `Idempotency-Key` on POST (API.md): the first response to a key is kept (24 hours at
/// least) and returned again for a repeat with the same body; another body under the same key
/// is a 409. Keys are per organization and caller; a transaction-scoped advisory lock on the
/// key makes concurrent repeats wait for the first instead of creating twice.
public enum Idempotency {
    public static let retention = "48 hours"

    public struct Stored: Sendable {
        public let status: Int
        public let body: String
        public let location: String?
        public let etag: String?
    }

    public struct Key: Sendable {
        public let key: String
        public let requestHash: String

        /// nil when the request has no key; 400 when the key is unusable.
        public static func from(header: String?, body: [String: JSONValue]) throws -> Key? {
            guard let header else { return nil }
            guard (1...255).contains(header.utf8.count), header.allSatisfy({ $0.isASCII && !$0.isWhitespace || $0 == " " }) else {
                throw APIError.badRequest("Idempotency-Key must be 1-255 printable ASCII characters")
            }
            let canonical = JSONValue.object(body).serialized()
            let hash = SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
            return Key(key: header, requestHash: hash)
        }

        func replay(_ principal: Principal, on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
            let org = principal.organizationID
            let actor = principal.actorKey
            let lockName = "\(org.text)|\(actor)|\(key)"
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockName), 0))", logger: logger)
            let rows = try await connection.query(
                """
                SELECT request_hash, status, body, location, etag FROM idempotency_keys
                WHERE org_id = \(org) AND actor = \(actor) AND key = \(key) AND created_at > now() - \(Idempotency.retention)::interval
                """, logger: logger)
            for try await (hash, status, body, location, etag) in rows.decode((String, Int, String, String?, String?).self) {
                guard hash == requestHash else {
                    throw APIError.conflict("this Idempotency-Key was used with a different request body")
                }
                return Stored(status: status, body: body, location: location, etag: etag)
            }
            return nil
        }

        func remember(_ response: Stored, _ principal: Principal, on connection: PostgresConnection, logger: Logger) async throws {
            let org = principal.organizationID
            let actor = principal.actorKey
            try await connection.query(
                """
                INSERT INTO idempotency_keys (org_id, actor, key, request_hash, status, body, location, etag)
                VALUES (\(org), \(actor), \(key), \(requestHash), \(response.status), \(response.body), \(response.location), \(response.etag))
                ON CONFLICT (org_id, actor, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
                    body = EXCLUDED.body, location = EXCLUDED.location, etag = EXCLUDED.etag, created_at = now()
                """, logger: logger)
            // Forget expired keys of this tenant now and then (1 write in 100).
            if Int.random(in: 0..<100) == 0 {
                try await connection.query(
                    "DELETE FROM idempotency_keys WHERE org_id = \(org) AND created_at < now() - \(Idempotency.retention)::interval",
                    logger: logger)
            }
        }
    }
}
