import Logging
import PostgresNIO

/// How `q` and `/search` find records: through `search_terms` (kernel migration
/// `0009_search_terms`), one row per word of each live record, read by word prefix with B-tree
/// range conditions that PostgreSQL may use under row-level security.
///
/// A query is split on white space; every word must match. A word of three or more characters
/// matches a record with a word that starts with it (`harfo` → Harford, `bob@exa` → the email,
/// `example.com` → its domain); a shorter one matches anywhere in the searchable text (a range
/// that short would read a large share of the index, and the text check finds one or two
/// letters fast among the newest records).
enum SearchTerms {
    /// Words beyond this many are ignored: each one costs a lookup.
    static let maximumWords = 8
    /// Shorter words are matched in the text, not the index.
    static let minimumIndexedLength = 3

    /// The distinct words of `text`, in order, at most `maximumWords`. Lower-casing is left to
    /// PostgreSQL (`lower()`), which wrote the indexed text.
    static func words(_ text: String) -> [String] {
        var seen = Set<String>()
        var words: [String] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }).map(String.init) where seen.insert(word.lowercased()).inserted {
            words.append(word)
            if words.count == maximumWords { break }
        }
        return words
    }

    static func isIndexed(_ word: String) -> Bool { word.unicodeScalars.count >= minimumIndexedLength }

    /// SQL for "a term of `alias` (a `search_terms` row) starts with `word`" (`word` already
    /// bound as `$n`): a range over the `COLLATE "C"` terms (`crm_prefix_end`), cut like them
    /// to 64 characters.
    /// A word of letters and digits only can only start a letter/digit term (a token that
    /// starts with it has a first run that does), any other only a token: one index range.
    static func prefixMatch(_ alias: String, _ word: String) -> String {
        let lowered = "left(lower(\(word)), 64)"
        return "\(alias).word = (\(lowered) ~ '^[[:alnum:]]+$') AND \(alias).term >= \(lowered) AND \(alias).term < crm_prefix_end(\(lowered))"
    }

    /// Words that a misspelling of is looked for (`RecordSearch`): four or more letters or digits.
    static func forgivesTypos(_ word: String) -> Bool {
        word.unicodeScalars.count >= 4 && word.allSatisfy { $0.isLetter || $0.isNumber }
    }

    /// SQL for "the term of `alias` is `word` (bound, lower-cased SQL) with at most two edits",
    /// compared on as many characters as the word has, so that a misspelt prefix counts too.
    static func nearMatch(_ alias: String, _ word: String, wordsOnly: Bool = true) -> String {
        (wordsOnly ? "\(alias).word AND " : "") + "length(\(alias).term) >= length(\(word)) - 1 AND levenshtein_less_equal(left(\(alias).term, length(\(word))), \(word), 2) <= 2"
    }

    /// A page is read from the ids of the words that match (`drivers`) only when one of them
    /// has at most this many terms: beyond, walking the list's order finds a page sooner.
    static let drivingLimit = 20_000
    /// Words with at most this many terms join the intersection that drives the page; the
    /// others are checked record by record.
    static let intersectingLimit = 50_000

    /// The words of a list's `q` whose matches are read first, if any. The page is then read by
    /// the ids that all of them match (`driven`: their terms' record ids intersected, then key
    /// lookups), rather than by walking the list's order and testing each record, which for a
    /// rare word — or two common words that rarely meet, `mary harford` — would read most of
    /// the organization. Without drivers (every word is common), walking the order finds a page
    /// soon. Counts, capped, are one index range per word; PostgreSQL's own estimate of a prefix
    /// range over the terms was 1 row for 16,667, and it drove the join from the commonest word.
    ///
    /// `drivingLimit` is about where the two ways cost the same at a million records (~5 µs a
    /// key lookup, ~12 µs a record walked and checked).
    static func drivers(_ text: String, table: String, organizationID: String, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let indexed = words(text).filter(isIndexed)
        guard !indexed.isEmpty else { return [] }
        // One statement: every word's count, in order, in one array.
        var builder = SQLBuilder()
        let org = builder.bind(organizationID, as: "uuid")
        let counts = indexed.map { word in
            """
            (SELECT count(*) FROM (SELECT 1 FROM search_terms s WHERE s.org_id = \(org) AND s.entity = '\(table)'
             AND \(prefixMatch("s", builder.bind(word))) LIMIT \(intersectingLimit + 1)) matches)
            """
        }
        builder.append("SELECT ARRAY[\(counts.joined(separator: ", "))]")
        var counted: [(word: String, count: Int)] = []
        for try await row in try await builder.run(on: connection, logger: logger).decode([Int].self) {
            counted = Array(zip(indexed, row))
        }
        guard let rarest = counted.map(\.count).min(), rarest <= drivingLimit else { return [] }
        return counted.filter { $0.count <= intersectingLimit }.map(\.word)
    }

    /// The condition on row `t` of `table` for the driving words: the ids they all match,
    /// gathered once (an uncorrelated subquery), looked up by the primary key.
    static func driven(_ words: [String], table: String, org: String, builder: inout SQLBuilder) -> String {
        let sets = words.map { word in
            "SELECT s.record_id FROM search_terms s WHERE s.org_id = \(org) AND s.entity = '\(table)' AND \(prefixMatch("s", builder.bind(word)))"
        }
        // INTERSECT (like UNION) returns distinct ids; one set alone is made distinct too.
        let ids = sets.count == 1 ? "SELECT DISTINCT record_id FROM (\(sets[0])) one" : sets.joined(separator: " INTERSECT ")
        return "t.id = ANY (ARRAY(\(ids)))"
    }

    /// The condition on row `t` of `table` for one word of `q`.
    static func condition(_ word: String, table: String, nearToo: Bool = false, builder: inout SQLBuilder) -> String {
        guard isIndexed(word) else {
            return "t.search_text LIKE '%' || lower(\(builder.bind(SQLBuilder.likeEscaped(word)))) || '%'"
        }
        let bound = builder.bind(word)
        let match = nearToo && forgivesTypos(word)
            ? "((\(prefixMatch("s", bound))) OR (\(nearMatch("s", "lower(\(bound))"))))" : prefixMatch("s", bound)
        // OFFSET 0 keeps PostgreSQL from turning the test into a join it could drive the query
        // from: its estimate of a prefix range can be off a thousand times, and the choice of
        // what drives is made from real counts (`driver`). So this stays a per-record check,
        // one index-only probe (`search_terms_record`).
        return """
            EXISTS (SELECT 1 FROM search_terms s WHERE s.org_id = t.org_id AND s.entity = '\(table)' AND s.record_id = t.id \
            AND \(match) OFFSET 0)
            """
    }
}
