import Foundation
@testable import Kernel
import Testing

@Suite struct ValidatorTests {
    @Test func emailsNeedOneAtAndADottedDomain() {
        for good in ["ada@example.com", "a.b+c@sub.example.org", "x@a.b", "x@.a.b"] {
            #expect(Validator.isEmail(good), "\(good)")
        }
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada@.com", "ada@com.", "a@b@c.d", "ada lovelace@example.com",
                    "ada@exa mple.com", "ada@example..com", String(repeating: "a", count: 250) + "@b.co", "ada@@example.com",
                    "ada@example.com\u{00A0}", "a\tb@c.d", "a..b@c.d", "ada@example.com@"] {
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
}
