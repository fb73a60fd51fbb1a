import Crypto
import Foundation

/// Seals list cursors so that the server reads back only what it issued, for the list it issued
/// it for (API.md, Lists: a cursor the server did not issue, or issued for another sort or
/// filter → 400). A cursor is `base64url(values).base64url(tag)`: the JSON array of the last
/// row's sort values and id, and an HMAC-SHA256 (truncated to 128 bits) over those values and
/// the query's shape (entity, sort, filters, `q`). A forged or edited cursor — one whose values
/// PostgreSQL could not even cast — never reaches the SQL.
public struct CursorSigner: Sendable {
    private let key: SymmetricKey

    /// `secret` is the server's signing secret (`JWT_SECRET`), shared by every process, so a
    /// cursor from one process works on another; the key is derived from it for this use only.
    public init(secret: String) {
        let derived = HMAC<SHA256>.authenticationCode(for: Data("crm list cursor v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        key = SymmetricKey(data: Data(derived))
    }

    public func seal(_ values: [UInt8], for query: RecordQuery, entity: String) -> String {
        let tag = self.tag(values, query.fingerprint(entity: entity))
        return Base64URL.encode(values) + "." + Base64URL.encode(tag)
    }

    /// The sort values and id of a cursor this server sealed for this query; 400 otherwise.
    public func open(_ token: String, for query: RecordQuery, entity: String) throws -> [JSONValue] {
        let invalid = RecordError.badQuery("invalid cursor: use the nextCursor of the same list (same sort, filters and q)")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 4096, parts.count == 2, let values = Base64URL.decode(String(parts[0])),
            let tag = Base64URL.decode(String(parts[1])),
            // Constant time, so the tag cannot be guessed byte by byte.
            tag.count == 16, Self.equal(tag, self.tag(Array(values), query.fingerprint(entity: entity))),
            case .array(let cursor)? = JSONValue.parse(values), cursor.count == query.sort.count + 1
        else { throw invalid }
        return cursor
    }

    private func tag(_ values: [UInt8], _ fingerprint: String) -> Data {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Data(fingerprint.utf8))
        mac.update(data: [0])
        mac.update(data: values)
        return Data(mac.finalize()).prefix(16)
    }

    private static func equal(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

extension RecordQuery {
    /// What a cursor is bound to: the entity, sort keys, filters and search text — not `limit`
    /// (a client may change the page size between pages).
    func fingerprint(entity: String) -> String {
        var parts = [entity]
        parts.append(sort.map { ($0.descending ? "-" : "+") + $0.member.name }.joined(separator: ","))
        for filter in filters {
            parts.append("\(filter.member.name)|\(filter.op.rawValue)|\(JSONValue.array(filter.values).serialized())")
        }
        parts.append("q|\(text ?? "")")
        return parts.joined(separator: "\u{1}")
    }
}
