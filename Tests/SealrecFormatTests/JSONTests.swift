import SealrecFormat
import Testing

@Suite struct JSONEncodingTests {
    @Test func writesCompactASCIIWithEscapes() throws {
        let value = JSONValue.object([
            JSONMember("name", .string("Zoë \"B\" \\ 😀\n\u{7F}")),
            JSONMember("n", .int(-42)),
            JSONMember("list", .array([.bool(true), .null, .number("29.97")])),
        ])
        let text = String(decoding: value.asciiBytes, as: UTF8.self)
        #expect(text == #"{"name":"Zo\u00eb \"B\" \\ \ud83d\ude00\u000a\u007f","n":-42,"list":[true,null,29.97]}"#)
        #expect(value.asciiBytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(try JSONParser.parse(value.asciiBytes) == value)
    }

    @Test(arguments: [(String, String)]([
        (#"{"a":1,"a":2}"#, "duplicate member"),
        (#"{"a": 1}"#, "unexpected character ' '"),
        (#"{"a":1}x"#, "unexpected data after"),
        (#"{"a":01}"#, "expected"),
        (#"{"a":"\ud800"}"#, "unpaired UTF-16 surrogate"),
        (#"{"a":"\x"}"#, "invalid escape"),
        // Only the escapes the writer produces: one spelling per string.
        (#"{"a":"\n"}"#, "invalid escape"),
        (#"{"a":"\/"}"#, "invalid escape"),
        (#"{"a":"\u0041"}"#, "non-canonical escape"),
        (#"{"a":"\u00FC"}"#, "four lowercase hex digits"),
        (#"{"a":+1}"#, "unexpected character '+'"),
        (#"{"a":"\u12"}"#, #"malformed \u escape"#),
        (#"{"a":1."#, "no digits after '.'"),
        (#"{"a":tru}"#, "expected 'e'"),
        (#"{"a":"b"#, "unterminated string"),
        ("{\"a\":\"tab\there\"}", "raw control"),
        (String(repeating: "[", count: 40), "nesting deeper"),
    ]))
    func parserRejectsNonCanonicalInput(text: String, expected: String) {
        #expect {
            _ = try JSONParser.parse(Array(text.utf8))
        } throws: { error in
            (error as? JSONParseError)?.message.contains(expected) == true
        }
    }

    @Test func numbersKeepTheirLiteralAndIntegersAreBounded() throws {
        let value = try JSONParser.parse(Array(#"[9223372036854775807,9223372036854775808,1.5,-0,2e3]"#.utf8))
        guard case .array(let items) = value else { Issue.record("not an array"); return }
        #expect(items.map(\.int64) == [Int64.max, nil, nil, nil, nil])  // -0 is never written: not an integer
        #expect(items[2] == .number("1.5"))
    }
}
