import Foundation

/// Splits SQL text into statements at top-level semicolons, respecting quoted strings,
/// quoted identifiers, dollar-quoted bodies (functions, DO blocks) and comments. Migrations are
/// written as one script, but PostgreSQL's extended protocol runs one statement at a time.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        func starts(_ token: String, at index: Int) -> Bool {
            let scalars = Array(token.unicodeScalars)
            guard index + scalars.count <= chars.count else { return false }
            return Array(chars[index..<index + scalars.count]) == scalars
        }
        func copy(until end: String, from start: Int) -> Int {
            var j = start
            while j < chars.count && !starts(end, at: j) { j += 1 }
            let stop = min(chars.count, j + end.unicodeScalars.count)
            current.append(contentsOf: chars[i..<stop])
            return stop
        }

        while i < chars.count {
            let c = chars[i]
            if starts("--", at: i) {
                i = copy(until: "\n", from: i)
            } else if starts("/*", at: i) {
                i = copy(until: "*/", from: i + 2)
            } else if c == "'" || c == "\"" {
                // A doubled quote inside is an escaped quote: the scan simply restarts after it.
                i = copy(until: String(c), from: i + 1)
            } else if c == "$", let tag = dollarTag(chars, at: i) {
                i = copy(until: tag, from: i + tag.unicodeScalars.count)
            } else if c == ";" {
                flush()
                i += 1
            } else {
                current.append(c)
                i += 1
            }
        }
        flush()
        return statements
    }

    /// `$$` or `$name$` starting at `index`, if there is one.
    static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> String? {
        var j = index + 1
        while j < chars.count, chars[j] == "_" || chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]) {
            j += 1
        }
        guard j < chars.count, chars[j] == "$" else { return nil }
        if j > index + 1, ("0"..."9").contains(chars[index + 1]) { return nil }  // $1 is a parameter
        return String(String.UnicodeScalarView(chars[index...j]))
    }
}
