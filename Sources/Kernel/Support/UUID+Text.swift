import Foundation

extension UUID {
    /// The lower-case form ids take in the API. Written by hand: `uuidString` formats with
    /// snprintf and `lowercased()` copies the result again, for every id of every request.
    public var text: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                var at = 0
                Self.writeText(of: bytes) { byte in
                    output[at] = byte
                    at += 1
                }
                return at
            }
        }
    }

    /// 16 bytes in the 8-4-4-4-12 lower-case hex form, one ASCII byte at a time: `text`, and
    /// `JSONWriter.uuid` for a uuid column read from PostgreSQL.
    @inline(__always)
    static func writeText(of bytes: UnsafeRawBufferPointer, _ put: (UInt8) -> Void) {
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 { put(UInt8(ascii: "-")) }
            put(JSONWriter.hex[Int(bytes[index] >> 4)])
            put(JSONWriter.hex[Int(bytes[index] & 0x0F)])
        }
    }

    /// Parses an id: 8-4-4-4-12 hex digits of either case. Unlike `UUID(uuidString:)` (sscanf
    /// underneath), nothing else: no signs, no "0x", no stray last character.
    public init?(text: String) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { output -> Bool in
            var utf8 = text.utf8.makeIterator()
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard utf8.next() == UInt8(ascii: "-") else { return false }
                }
                guard let high = utf8.next()?.hexDigitValue, let low = utf8.next()?.hexDigitValue else {
                    return false
                }
                output[index] = high << 4 | low
            }
            return utf8.next() == nil
        }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }

}

extension UInt8 {
    /// The value of an ASCII hex digit (`0-9`, `a-f`, `A-F`); nil for any other byte.
    @inlinable var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
