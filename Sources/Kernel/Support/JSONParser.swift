import Foundation

/// JSON text (RFC 8259) → `JSONValue`, by hand. `JSONDecoder` through `Codable` tried each
/// type in turn for every value, building an error for each miss: ~12 % of a create's CPU, and
/// again to read back the stored record for the after-hooks.
///
/// Strict like `JSONDecoder`: invalid UTF-8, unescaped control characters, leading zeros,
/// trailing text and nesting deeper than 512 are errors. Text PostgreSQL cannot store — an
/// escaped NUL (`\u0000`) or an unpaired surrogate (`\ud800`), both valid JSON — is refused
/// too, with the path of the first such string or key (`parseChecked`), so an API answers
/// 422 naming the field instead of failing in the database. Numbers without a
/// fraction or exponent that fit 64 bits are `.int`, like integral ones written `5.0`; the rest
/// are `.double`.
struct JSONParser {
    static let maximumDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// Where the first forbidden text is: empty when found, then each enclosing container puts
    /// its key or index in front as the parse leaves it (nothing to keep on the common path).
    private var forbiddenPath: [String]?

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    struct Invalid: Error {}

    enum Outcome {
        case value(JSONValue)
        case malformed
        /// Valid JSON with a NUL or an unpaired surrogate in the string or key at `path`
        /// (dotted, array indexes as numbers: `custom.tags.2`).
        case forbiddenText(path: String)
    }

    static func parseChecked(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var parser = JSONParser(bytes)
        guard let value = try? parser.value(depth: 0) else { return .malformed }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { return .malformed }
        if let path = parser.forbiddenPath { return .forbiddenText(path: path.joined(separator: ".")) }
        return .value(value)
    }

    /// The value, or nil for anything `parseChecked` does not answer `.value` for.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        guard case .value(let value) = parseChecked(bytes) else { return nil }
        return value
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Invalid() }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { throw Invalid() }
        index += count
        return value
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard let byte = current else { throw Invalid() }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw Invalid()
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= Self.maximumDepth else { throw Invalid() }
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw Invalid() }
            let clean = forbiddenPath == nil
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw Invalid() }
            index += 1
            members[key] = try value(depth: depth)
            if clean, forbiddenPath != nil { forbiddenPath!.insert(key, at: 0) }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw Invalid()
            }
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= Self.maximumDepth else { throw Invalid() }
        index += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            let clean = forbiddenPath == nil
            items.append(try value(depth: depth))
            if clean, forbiddenPath != nil { forbiddenPath!.insert(String(items.count - 1), at: 0) }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw Invalid()
            }
        }
    }

    /// A string from its opening quote; the common case (no escapes) is one validated copy.
    private mutating func string() throws -> String {
        index += 1  // "
        let start = index
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw Invalid() }
            index += 1
        }
        guard let stop = current else { throw Invalid() }
        if stop == UInt8(ascii: "\"") {
            index += 1
            return try text(UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1]))
        }
        var unescaped = Array(bytes[start..<index])
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return try text(unescaped)
            case UInt8(ascii: "\\"): try escape(into: &unescaped)
            case 0..<0x20: throw Invalid()
            default: unescaped.append(byte)
            }
        }
        throw Invalid()
    }

    private func text<Bytes: Collection<UInt8>>(_ utf8: Bytes) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw Invalid() }
        return text
    }

    private mutating func escape(into output: inout [UInt8]) throws {
        guard let byte = current else { throw Invalid() }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(byte)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                if current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
                    let next = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = next  // the next escape is read on its own
                        return forbidden(into: &output)
                    }
                } else {
                    return forbidden(into: &output)
                }
            } else if (0xDC00..<0xE000).contains(scalar) || scalar == 0 {
                return forbidden(into: &output)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Invalid() }
            output.append(contentsOf: UTF8.encode(unicode)!)
        default: throw Invalid()
        }
    }

    /// Notes forbidden text (a NUL, an unpaired surrogate) and goes on with U+FFFD in its
    /// place, so the rest of the document is still checked for being JSON at all.
    private mutating func forbidden(into output: inout [UInt8]) {
        if forbiddenPath == nil { forbiddenPath = [] }
        output.append(contentsOf: [0xEF, 0xBF, 0xBD])
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw Invalid() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = bytes[index].hexDigitValue else { throw Invalid() }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func number() throws -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { throw Invalid() }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw Invalid() }
            integral = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw Invalid() }
            integral = false
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw Invalid() }
        if value.rounded() == value, let exact = Int64(exactly: value) { return .int(exact) }
        return .double(value)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }
}
