import Logging
import PostgresNIO

/// `GET /search`: records of several entities that match every word of a query, best first,
/// found through `search_terms` (`SearchTerms`) and ranked among a bounded set of candidates,
/// so that its cost follows the matches read, not the size of the organization.
///
/// 1. The driving word (the longest) gives candidates: records with a term starting with it,
///    at most `candidateScan` per entity; each must match every other word too. Of those, the
///    first `rankedPerEntity` are ranked by trigram similarity of their text to the query.
/// 2. Only when that finds fewer than `limit` records and the driving word is a word of four or
///    more letters or digits, misspellings are forgiven: candidates are the records with a word
///    within two edits of the driving word (`SearchTerms.nearMatch`) among the organization's
///    distinct words that share its first two characters (at most `typoTermScan`, read by
///    skipping through the index), and every other such word may be misspelt the same way.
///    Those records rank below every exact match (0.5 + similarity / 2), by fewest edits.
/// A query of only one- and two-character words reads the newest records' text instead.
struct RecordSearch {
    static let candidateScan = 500
    static let rankedPerEntity = 100
    static let typoTermScan = 500

    let schemas: [EntitySchema]
    let organizationID: String
    let query: String
    let limit: Int

    /// Each result's JSON (`{type, id, title, snippet, rank}`), best first.
    func run(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let words = SearchTerms.words(query)
        guard let driving = words.max(by: { $0.unicodeScalars.count < $1.unicodeScalars.count }) else { return [] }
        var found = try await results(exactStatement(words, driving: driving), on: connection, logger: logger)
        if found.count < limit, words.contains(where: SearchTerms.forgivesTypos), SearchTerms.forgivesTypos(driving) {
            let seen = Set(found.map(\.id))
            let near = try await results(typoStatement(words, driving: driving), on: connection, logger: logger)
            found += near.filter { !seen.contains($0.id) }.prefix(limit - found.count)
        }
        return found.map(\.json)
    }

    private func results(_ builder: SQLBuilder, on connection: PostgresConnection, logger: Logger) async throws -> [(id: String, json: String)] {
        var found: [(id: String, json: String)] = []
        for try await (id, json) in try await builder.run(on: connection, logger: logger, prepared: false).decode((String, String).self) {
            found.append((id, json))
        }
        return found
    }

    /// Records matching every word as typed (a prefix of one of their terms).
    private func exactStatement(_ words: [String], driving: String) -> SQLBuilder {
        var builder = SQLBuilder()
        let org = builder.bind(organizationID, as: "uuid")
        let text = builder.bind(query)
        let parts = schemas.map { schema in
            let others = words.filter { $0 != driving }.map { SearchTerms.condition($0, table: schema.table, builder: &builder) }
            let candidates: String
            if SearchTerms.isIndexed(driving) {
                candidates = """
                    SELECT DISTINCT s.record_id FROM (SELECT s.record_id FROM search_terms s
                        WHERE s.org_id = \(org) AND s.entity = '\(schema.table)' AND \(SearchTerms.prefixMatch("s", builder.bind(driving)))
                        LIMIT \(Self.candidateScan)) s
                    """
            } else {
                let like = SearchTerms.condition(driving, table: schema.table, builder: &builder)
                candidates = """
                    SELECT t.id AS record_id FROM \(schema.table) t WHERE t.org_id = \(org) AND t.deleted_at IS NULL AND \(like)
                    ORDER BY t.created_at DESC LIMIT \(Self.candidateScan)
                    """
            }
            return rankedPart(schema, candidates: candidates, others: others, org: org, rank: "0.5 + similarity(t.search_text, lower(\(text))) / 2", builder: &builder)
        }
        return finish(builder, parts)
    }

    /// Records with a word within two edits of the driving word, and every other word as typed
    /// or, for words of four or more letters, within two edits too.
    private func typoStatement(_ words: [String], driving: String) -> SQLBuilder {
        var builder = SQLBuilder()
        let org = builder.bind(organizationID, as: "uuid")
        let text = builder.bind(query)
        let word = "lower(\(builder.bind(driving)))"
        let start = "left(\(word), 2)"
        let end = "crm_prefix_end(\(start))"
        var nearTerms: [String] = []
        let parts = schemas.enumerated().map { index, schema in
            let near = "near_\(index)"
            let entity = "s.org_id = \(org) AND s.entity = '\(schema.table)' AND s.word"
            nearTerms.append("""
                \(near)(term, n) AS (
                    (SELECT s.term, 1 FROM search_terms s WHERE \(entity) AND s.term >= \(start) AND s.term < \(end) ORDER BY s.term LIMIT 1)
                    UNION ALL
                    SELECT (SELECT s.term FROM search_terms s WHERE \(entity) AND s.term > p.term AND s.term < \(end) ORDER BY s.term LIMIT 1), p.n + 1
                    FROM \(near) p WHERE p.term IS NOT NULL AND p.n < \(Self.typoTermScan)
                )
                """)
            let others = words.filter { $0 != driving }.map {
                SearchTerms.condition($0, table: schema.table, nearToo: true, builder: &builder)
            }
            let candidates = """
                SELECT s.record_id, min(levenshtein_less_equal(left(s.term, length(\(word))), \(word), 2)) AS distance
                FROM (SELECT s.record_id, s.term FROM search_terms s
                    WHERE \(entity) AND s.term IN (SELECT n.term FROM \(near) n WHERE n.term IS NOT NULL AND \(SearchTerms.nearMatch("n", word, wordsOnly: false)))
                    LIMIT \(Self.candidateScan)) s GROUP BY s.record_id
                """
            // Fewer edits first, then the text's likeness; always below 0.5, under every exact match.
            let rank = "0.4 * (1 - c.distance::float / length(\(word))) + 0.1 * similarity(t.search_text, lower(\(text)))"
            return rankedPart(schema, candidates: candidates, others: others, org: org, rank: rank, builder: &builder)
        }
        return finish(builder, parts, with: "WITH RECURSIVE \(nearTerms.joined(separator: ",\n"))\n")
    }

    /// One entity's share: its candidates that match the other words, ranked, at most `rankedPerEntity`.
    private func rankedPart(_ schema: EntitySchema, candidates: String, others: [String], org: String, rank: String, builder: inout SQLBuilder) -> String {
        let type = builder.bind(schema.name)
        return """
            (SELECT \(type) AS type, t.id, \(schema.titleSQL) AS title, left(t.search_text, 160) AS snippet, \(rank) AS rank
            FROM (\(candidates)) c JOIN \(schema.table) t ON t.org_id = \(org) AND t.id = c.record_id
            WHERE \((["t.deleted_at IS NULL"] + others).joined(separator: " AND "))
            LIMIT \(Self.rankedPerEntity))
            """
    }

    private func finish(_ builder: SQLBuilder, _ parts: [String], with: String = "") -> SQLBuilder {
        var builder = builder
        builder.append(with + """
            SELECT id::text, json_build_object('type', type, 'id', id, 'title', title, 'snippet', snippet, 'rank', round(rank::numeric, 4))::text
            FROM (\(parts.joined(separator: " UNION ALL "))) found ORDER BY rank DESC, id LIMIT \(limit)
            """)
        return builder
    }
}
