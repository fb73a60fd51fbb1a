import Foundation
import OpenAPIKit

/// A calendar date, `YYYY-MM-DD`.
public struct DateFieldType: FieldType {
    public init() {}
    public var name: String { "date" }
    public var sqlType: String { "date" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value, Self.isDate(text) else {
            throw FieldError(field: field.name, code: "invalid_date", message: "must be a date YYYY-MM-DD")
        }
        return value
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .date) }
    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .date) }

    static func isDate(_ text: String) -> Bool {
        // ASCII digits only (a regex's \d also takes other scripts' digits, which Int() refuses).
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) })
        else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = text.split(separator: "-").compactMap { Int($0) }
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        guard let date = calendar.date(from: components) else { return false }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        return back.year == parts[0] && back.month == parts[1] && back.day == parts[2] && (1...9999).contains(parts[0])
    }
}

/// An instant, RFC 3339; answered in UTC (`2026-11-24T19:08:42Z`).
public struct DateTimeFieldType: FieldType {
    public init() {}
    public var name: String { "datetime" }
    public var sqlType: String { "timestamptz" }
    public var jsonType: String { "string" }
    public var filterOperators: Set<FilterOperator> { FilterOperator.basic.union(FilterOperator.ordered) }

    public func normalize(_ value: JSONValue, field: FieldSpec) throws -> JSONValue {
        guard case .string(let text) = value, let date = Self.parse(text) else {
            throw FieldError(field: field.name, code: "invalid_datetime", message: "must be an RFC 3339 date-time such as 2026-11-24T19:08:42Z")
        }
        return .string(Self.format(date))
    }

    public func jsonSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .dateTime) }
    public func queryValueSchema(_ field: FieldSpec) -> JSONSchema { .string(format: .dateTime) }

    public static func parse(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
