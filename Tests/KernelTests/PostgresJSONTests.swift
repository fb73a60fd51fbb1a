import Foundation
import PostgresNIO
import Testing
import TestSupport

@testable import Kernel

/// `JSONWriter` writes records from PostgreSQL's binary values; PostgreSQL's own JSON of the
/// same values (`to_json`, and `to_char` for the API's time format) is the reference.
@Suite struct PostgresJSONTests {
    static let values = [
        "'plain'::text", #"E'quote " backslash \\ newline \n tab \t bell \x07 del \x7f'::text"#, "'é 日本 🎉'::varchar",
        "''::text", "NULL::text", "'6f2a1c3e-9b4d-4e8f-a1b2-c3d4e5f60718'::uuid", "true", "false",
        "(-32768)::int2", "2147483647::int4", "(-9223372036854775808)::int8", "0::int8",
        "1234.5::float8", "100::float8", "(-0.001)::float8", "1e300::float8", "0.1::float8", "'NaN'::float8",
        "'2000-01-01'::date", "'1999-12-31'::date", "'2024-02-29'::date", "'1900-03-01'::date", "'0001-01-01'::date",
        "'9999-12-31'::date", "'infinity'::date",
        #"'{"b": [1, "x", null], "a": {"c": true}}'::jsonb"#, #"'[1, 2.5]'::json"#,
        #"ARRAY['a', NULL, 'b"c']::text[]"#, "'{}'::text[]", "ARRAY['6f2a1c3e-9b4d-4e8f-a1b2-c3d4e5f60718']::uuid[]",
        "ARRAY[1, -2]::int8[]", "ARRAY[true]", "ARRAY['2024-02-29']::date[]",
    ]

    static let times = [
        "2000-01-01 00:00:00Z", "1999-12-31 23:59:59.999999Z", "1970-01-01 00:00:00Z", "2026-11-28 23:06:53.809349Z",
        "1900-03-01 12:00:00.5Z", "2100-12-31 23:59:59Z", "0001-01-01 00:00:00Z",
    ]

    @Test func valuesAreWhatPostgreSQLsJSONSays() async throws {
        try await TestDatabase.withClient(try TestDatabase.serverURL()) { client in
            for expression in Self.values {
                let query = PostgresQuery(unsafeSQL: "SELECT \(expression), coalesce(to_json(\(expression))::text, 'null')")
                for try await row in try await client.query(query, logger: TestDatabase.logger) {
                    var writer = JSONWriter()
                    let cells = Array(row)
                    try writer.value(cells[0])
                    let expected = try cells[1].decode(String.self)
                    let written = JSONValue.parse(Data(writer.bytes))
                    #expect(written != nil && written == JSONValue.parse(Data(expected.utf8)), "\(expression): \(writer.text) vs \(expected)")
                }
            }
        }
    }

    @Test func timesAreUTCToTheSecondOrTheMicrosecond() async throws {
        try await TestDatabase.withClient(try TestDatabase.serverURL()) { client in
            for time in Self.times {
                let query = PostgresQuery(unsafeSQL: """
                    SELECT '\(time)'::timestamptz,
                           to_char('\(time)'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                           to_char('\(time)'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    """)
                for try await row in try await client.query(query, logger: TestDatabase.logger) {
                    let cells = Array(row)
                    var seconds = JSONWriter()
                    try seconds.value(cells[0])
                    var microseconds = JSONWriter()
                    try microseconds.value(cells[0], microseconds: true)
                    #expect(seconds.text == "\"\(try cells[1].decode(String.self))\"", "\(time)")
                    #expect(microseconds.text == "\"\(try cells[2].decode(String.self))\"", "\(time)")
                }
            }
        }
    }

    @Test func aTypeWithoutAJSONFormIsAnError() async throws {
        try await TestDatabase.withClient(try TestDatabase.serverURL()) { client in
            for try await row in try await client.query("SELECT point(1, 2)", logger: TestDatabase.logger) {
                var writer = JSONWriter()
                #expect(throws: PostgresJSONError.self) { try writer.value(Array(row)[0]) }
            }
        }
    }
}
