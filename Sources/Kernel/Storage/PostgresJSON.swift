import Foundation
import NIOCore
import PostgresNIO

/// Records as JSON from PostgreSQL's binary column values. Reads used to have PostgreSQL build
/// each record with `json_build_object`; that made a page of 25 contacts cost three times the
/// database CPU of selecting the same columns (pgbench: 8.0k vs 25.8k tps), and the database is
/// the part every request shares.
extension JSONWriter {
    /// A UUID's 16 bytes in the API's lower-case form.
    mutating func uuid(_ buffer: ByteBuffer) throws {
        guard buffer.readableBytes == 16 else { throw PostgresJSONError.malformed("uuid") }
        bytes.append(UInt8(ascii: "\""))
        buffer.withUnsafeReadableBytes { raw in UUID.writeText(of: raw) { bytes.append($0) } }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: Column values

    /// A cell's value as JSON, by its PostgreSQL type (binary format): text types as strings,
    /// numbers and booleans as themselves, `json`/`jsonb` as they are, uuids in lower case,
    /// dates as `YYYY-MM-DD`, times as RFC 3339 in UTC to the second (`microseconds` for
    /// cursors), one-dimensional arrays as arrays. NULL is `null`.
    mutating func value(_ cell: PostgresCell, microseconds: Bool = false) throws {
        guard var buffer = cell.bytes else { return raw("null") }
        if cell.format == .text { return buffer.withUnsafeReadableBytes { string($0) } }
        try value(&buffer, type: cell.dataType, microseconds: microseconds)
    }

    private mutating func value(_ buffer: inout ByteBuffer, type: PostgresDataType, microseconds: Bool) throws {
        switch type {
        case .text, .varchar, .bpchar, .name:
            buffer.withUnsafeReadableBytes { string($0) }
        case .uuid:
            try uuid(buffer)
        case .bool:
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw PostgresJSONError.malformed("bool") }
            raw(byte == 0 ? "false" : "true")
        case .int2:
            integer(try read(&buffer, Int16.self))
        case .int4:
            integer(try read(&buffer, Int32.self))
        case .int8:
            integer(try read(&buffer, Int64.self))
        case .float4:
            double(Double(Float(bitPattern: try read(&buffer, UInt32.self))))
        case .float8:
            double(Double(bitPattern: try read(&buffer, UInt64.self)))
        case .json:
            buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
        case .jsonb:
            // Binary jsonb is a version byte (1) and the document's text.
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw PostgresJSONError.malformed("jsonb") }
            buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
        case .date:
            let days = try read(&buffer, Int32.self)
            if days == .max || days == .min { return string(days == .max ? "infinity" : "-infinity") }
            bytes.append(UInt8(ascii: "\""))
            date(daysSince2000: Int64(days))
            bytes.append(UInt8(ascii: "\""))
        case .timestamp, .timestamptz:
            timestamp(try read(&buffer, Int64.self), microseconds: microseconds)
        default:
            guard Self.arrayTypes.contains(type) else { throw PostgresJSONError.unsupported(type) }
            try array(&buffer, microseconds: microseconds)
        }
    }

    static let arrayTypes: Set<PostgresDataType> = [
        .textArray, .varcharArray, .uuidArray, .boolArray, .int2Array, .int4Array, .int8Array, .float4Array,
        .float8Array, .jsonArray, .jsonbArray, .dateArray, .timestamptzArray,
    ]

    /// A one-dimensional array (PostgreSQL's binary array: dimensions, null flag, element type,
    /// then per dimension its length and lower bound, then each element's length and bytes).
    private mutating func array(_ buffer: inout ByteBuffer, microseconds: Bool) throws {
        let dimensions = try read(&buffer, Int32.self)
        _ = try read(&buffer, Int32.self)  // has nulls
        let element = PostgresDataType(try read(&buffer, UInt32.self))
        guard dimensions <= 1 else { throw PostgresJSONError.malformed("array of \(dimensions) dimensions") }
        let count = dimensions == 0 ? 0 : try read(&buffer, Int32.self)
        if dimensions == 1 { _ = try read(&buffer, Int32.self) }  // lower bound
        bytes.append(UInt8(ascii: "["))
        for index in 0..<Int(count) {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            let length = try read(&buffer, Int32.self)
            if length < 0 {
                raw("null")
                continue
            }
            guard var item = buffer.readSlice(length: Int(length)) else { throw PostgresJSONError.malformed("array") }
            try value(&item, type: element, microseconds: microseconds)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private func read<I: FixedWidthInteger>(_ buffer: inout ByteBuffer, _: I.Type) throws -> I {
        guard let value = buffer.readInteger(as: I.self) else { throw PostgresJSONError.malformed("\(I.self)") }
        return value
    }

    // MARK: Dates and times

    /// `"2026-11-24T19:08:42Z"` (to the second, as the API shows times) or with `.ffffff`
    /// (a cursor's full precision), from microseconds since 2000-01-01 UTC.
    mutating func timestamp(_ microsecondsSince2000: Int64, microseconds: Bool) {
        if microsecondsSince2000 == .max || microsecondsSince2000 == .min {
            return string(microsecondsSince2000 == .max ? "infinity" : "-infinity")
        }
        let (seconds, fraction) = floorDivision(microsecondsSince2000, 1_000_000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        bytes.append(UInt8(ascii: "\""))
        date(daysSince2000: days)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        if microseconds {
            bytes.append(UInt8(ascii: "."))
            digits(fraction, 6)
        }
        raw("Z\"")
    }

    /// `YYYY-MM-DD` of a day counted from 2000-01-01 (proleptic Gregorian; Howard Hinnant's
    /// days-to-civil algorithm).
    mutating func date(daysSince2000: Int64) {
        let z = daysSince2000 + 10_957 + 719_468  // days since 0000-03-01
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(year.magnitude, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
    }

    private func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }
}

enum PostgresJSONError: Error, CustomStringConvertible {
    case unsupported(PostgresDataType)
    case malformed(String)

    var description: String {
        switch self {
        case .unsupported(let type): return "no JSON form for PostgreSQL type \(type)"
        case .malformed(let what): return "malformed binary \(what) from PostgreSQL"
        }
    }
}
