import Foundation
@testable import Kernel
import Testing

@Suite struct ValidatorTests {
    @Test func emailsNeedOneAtAndADottedDomain() {
        for good in ["ada@example.com", "a.b+c@sub.example.org", "x@a.b"] {
            #expect(Validator.isEmail(good), "\(good)")
        }
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada@.com", "ada@com.", "a@b@c.d", "ada lovelace@example.com",
                    "ada@exa mple.com", "ada@example..com", String(repeating: "a", count: 250) + "@b.co", "ada@@example.com",
                    "ada@example.com\u{00A0}", "a\tb@c.d", "a..b@c.d", "ada@example.com@", "x@.a.b", "x@a.b.", "x@a..b"] {
            #expect(!Validator.isEmail(bad), "\(bad)")
        }
    }

    @Test func datesAreASCIIDigitsOfARealDay() {
        #expect(DateFieldType.isDate("2026-11-28"))
        #expect(DateFieldType.isDate("2024-02-29"))
        for bad in ["2026-02-30", "2026-13-01", "26-11-28", "2026-11-28T00:00:00Z", "2026/11/28", "٢٠٢٦-١١-٢٨", "0000-01-01", ""] {
            #expect(!DateFieldType.isDate(bad), "\(bad)")
        }
    }

    /// `trimmed` removes what `trimmingCharacters(in: .whitespacesAndNewlines)` removes.
    @Test func trimmedIsFoundationsTrimming() {
        var samples = ["", " ", "ada", "  ada  ", "\n\tada lovelace\r\n", "\u{00A0}ada\u{3000}", "a\u{2028}", "\u{200B}a\u{200B}"]
        for value in Array(UInt32(0)...0x3100) + Array(0xFE00...0xFFFF) + [0x1F600, 0xE0020] {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(scalar.isWhiteSpace == scalar.properties.isWhitespace, "U+\(String(value, radix: 16))")
            samples.append("\(scalar)x\(scalar)y\(scalar)")
        }
        for sample in samples {
            #expect(sample.trimmed == sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(sample.unicodeScalars.map(\.value))")
        }
    }

    /// `UUID.text` is Foundation's `uuidString.lowercased()`; `UUID(text:)` reads the same ids as
    /// `UUID(uuidString:)`, and nothing else.
    @Test func uuidTextIsFoundationsForm() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.text == id.uuidString.lowercased())
            #expect(UUID(text: id.text) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
        let good = "0f8fad5b-d9cb-469f-a165-70867728950e"
        var samples = [good, good.uppercased(), "", "0f8fad5b", good + "0", " " + good, good + " ", String(good.dropLast()),
                       good.replacingOccurrences(of: "-", with: ""), good.replacingOccurrences(of: "-", with: "_"),
                       "0f8fad5bd-9cb-469f-a165-70867728950e", "{\(good)}", "0f8fad5b-d9cb-469f-a165-70867728950\u{0}"]
        // Every single-character change, including non-ASCII and multi-byte ones.
        for index in good.indices {
            for replacement in ["g", "G", "-", "0", "F", "é", "٣", "\u{0}", "x"] {
                samples.append(good.replacingCharacters(in: index...index, with: replacement))
            }
        }
        for sample in samples {
            // Foundation's sscanf also takes signs, "0x" and a stray last character ("-f8fad5b-…",
            // "0x8fad5b-…", "…950x"): those are not ids, and are refused here.
            let canonical = sample.wholeMatch(of: /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/) != nil
            #expect(UUID(text: sample) == (canonical ? UUID(uuidString: sample) : nil), "\(sample)")
        }
    }
}
