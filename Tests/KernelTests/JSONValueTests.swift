import Foundation
import Testing

@testable import Kernel

/// `JSONValue.parse` and `serialized()` are written by hand (for speed): they must accept what
/// JSON is, refuse what it is not, and write what parses back to the same value.
@Suite struct JSONValueTests {
    @Test func validDocumentsParse() throws {
        let text = #" { "a": 1, "b": [true, false, null], "c": "x\u00e9\n\/\"\\", "d": -1.5e3, "e": 0, "f": {"g": []}, "h": "\ud83c\udf89é" } "#
        let value = try #require(JSONValue.parse(text))
        #expect(value == [
            "a": 1, "b": [true, false, nil], "c": "xé\n/\"\\", "d": -1500, "e": 0,
            "f": ["g": []], "h": "🎉é",
        ])
        #expect(JSONValue.parse("9223372036854775807") == .int(.max))
        #expect(JSONValue.parse("-9223372036854775808") == .int(.min))
        #expect(JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(JSONValue.parse("5.0") == .int(5))
        #expect(JSONValue.parse("1e2") == .int(100))
        #expect(JSONValue.parse("0.1") == .double(0.1))
        #expect(JSONValue.parse("-0") == .int(0))
        #expect(JSONValue.parse("\"\"") == .string(""))
        #expect(JSONValue.parse(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) != nil)
    }

    @Test func invalidDocumentsDoNot() {
        let invalid = [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "-", "1.", ".5", "1e", "+1", "NaN",
            "Infinity", "tru", "nul", "\"\u{01}\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\x\"",
            "\"\\u12\"", "[1] x", "\"open", "1e999", "'single'",
            String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
        ]
        for text in invalid {
            #expect(JSONValue.parse(text) == Optional<JSONValue>.none, "[\(text.prefix(40))]")
        }
        #expect(JSONValue.parse(Data([0x22, 0xFF, 0x22])) == nil, "invalid UTF-8")
    }

    @Test func serializedIsCompactSortedAndParsesBack() throws {
        let value: JSONValue = [
            "b": [1, 2.5, nil, true], "a": "quote \" backslash \\ slash / newline \n bell \u{07} é 🎉", "c": [:],
        ]
        let text = value.serialized()
        #expect(text == #"{"a":"quote \" backslash \\ slash / newline \n bell \u0007 é 🎉","b":[1,2.5,null,true],"c":{}}"#)
        #expect(JSONValue.parse(text) == value)
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.double(1e300).serialized() == "1e+300")
        #expect(JSONValue.parse(JSONValue.double(0.1 + 0.2).serialized()) == .double(0.1 + 0.2))
    }
}
