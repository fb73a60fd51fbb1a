/// JSON text written byte by byte, without `Codable`: `JSONValue`s, and records from
/// PostgreSQL's binary column values (`PostgresJSON.swift`).
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// A JSON string of UTF-8 bytes, escaped as JSON requires (`"`, `\`, control characters).
    mutating func string(_ utf8: UnsafeRawBufferPointer) {
        // Most texts need no escape: then they are copied at once.
        guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        escaped(utf8)
    }

    private mutating func escaped<Bytes: Sequence<UInt8>>(_ utf8: Bytes) {
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(UnsafeRawBufferPointer($0)) }
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(UInt64(value.magnitude), 1)
    }

    /// A double as a JSON number: integral values without a fraction (`100`, as PostgreSQL
    /// writes them), non-finite ones as strings (JSON has no NaN; PostgreSQL quotes them too).
    mutating func double(_ value: Double) {
        if !value.isFinite {
            string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
        } else if value.rounded() == value, abs(value) < 1e15 {
            integer(Int64(value))
        } else {
            raw(value.description)
        }
    }

    static let hex = Array("0123456789abcdef".utf8)

    /// `value` in decimal, zero-padded to at least `width` digits.
    mutating func digits<I: BinaryInteger>(_ value: I, _ width: Int) {
        let value = UInt64(value)
        var divisor: UInt64 = 1
        var count = 1
        while count < width || value / divisor >= 10 {
            divisor *= 10
            count += 1
        }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A `JSONValue`, object keys sorted so that equal values are equal bytes. Non-finite
    /// numbers (JSON has none) are `null`.
    mutating func value(_ json: JSONValue) {
        switch json {
        case .null: raw("null")
        case .bool(let value): raw(value ? "true" : "false")
        case .int(let value): integer(value)
        case .double(let value): if value.isFinite { double(value) } else { raw("null") }
        case .string(let value): string(value)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                value(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
