import Hummingbird

/// Refuses a query string whose names or values, once percent-decoded, hold a NUL or are not
/// UTF-8 (which is how an unpaired surrogate arrives, `%ED%A0%80`): 400 (API.md, Lists). One
/// check for every route — filters, sort, cursor, `q`, keys — instead of one per parameter, and
/// nothing such reaches PostgreSQL, which cannot store either. (Hummingbird hands an undecodable
/// value on still percent-encoded, which would otherwise pass for ordinary text.)
struct QueryTextMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Without a `%` there is nothing to decode: the query is already text the HTTP parser
        // took (it refuses a raw NUL), so the common request skips the scan.
        if let query = request.uri.query, query.utf8.contains(UInt8(ascii: "%")), let bad = Self.firstBadParameter(query) {
            throw APIError.badRequest("query parameter '\(bad)' must not contain NUL (%00) or text that is not UTF-8")
        }
        return try await next(request, context)
    }

    /// The (printable part of the) name of the first parameter with bad text, if any.
    static func firstBadParameter(_ query: String) -> String? {
        for item in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = item.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = decoded(parts[0])
            let nameOK = name.map(isStorable) ?? true
            let valueOK = parts.count < 2 || (decoded(parts[1]).map(isStorable) ?? true)
            if !nameOK || !valueOK {
                let printable = String(decoding: name ?? Array(parts[0]), as: UTF8.self).unicodeScalars
                    .filter { $0.value >= 0x20 && $0 != "\u{FFFD}" }.prefix(60)
                return String(String.UnicodeScalarView(printable))
            }
        }
        return nil
    }

    /// Percent-decoded bytes; nil when the text has a malformed escape (left as it is, like
    /// Hummingbird does: such text holds no NUL).
    static func decoded(_ bytes: Substring.UTF8View.SubSequence) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first != bytes.endIndex, bytes.index(after: first) != bytes.endIndex,
                    let high = bytes[first].hexDigitValue, let low = bytes[bytes.index(after: first)].hexDigitValue
                else { return nil }
                output.append(high << 4 | low)
                index = bytes.index(first, offsetBy: 2)
            } else {
                output.append(byte)
                index = bytes.index(after: index)
            }
        }
        return output
    }

    static func isStorable(_ bytes: [UInt8]) -> Bool {
        !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
    }

}
