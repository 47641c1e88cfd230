import Foundation
import Testing
@testable import SealrecAccess
import TestSupport

@Suite struct AccessCodeTests {
    @Test func codesCarryAtLeastSixtyBitsAndReadBack() throws {
        let code = try AccessCode.random()
        #expect(AccessCode.dataSymbols * 5 >= 60)
        #expect(code.canonical.count == 14)
        #expect(code.description.split(separator: "-").map(\.count) == [4, 4, 4, 2])
        #expect(try AccessCode.parse(code.description) == code)
        #expect(try AccessCode.parse(code.canonical.lowercased()) == code)
        #expect(try AccessCode.parse(" " + code.description.replacingOccurrences(of: "-", with: " ") + " ") == code)
    }

    @Test func confusableLettersReadAsDigits() throws {
        // Find a code containing 1 and 0 and type them as l, I and o.
        var code = try AccessCode.random()
        while !(code.canonical.dropLast().contains("1") && code.canonical.dropLast().contains("0")) { code = try AccessCode.random() }
        var typed = Array(code.canonical)
        for i in 0..<13 { if typed[i] == "1" { typed[i] = i % 2 == 0 ? "l" : "I" } else if typed[i] == "0" { typed[i] = "o" } }
        #expect(try AccessCode.parse(String(typed)) == code)
    }

    /// Every single wrong symbol and every swap of two adjacent different symbols is caught.
    @Test func checkSymbolCatchesEverySingleTypoAndAdjacentSwap() throws {
        for _ in 0..<20 {
            let code = try AccessCode.random()
            let symbols = Array(code.canonical)
            let alphabet = AccessCode.alphabet
            for i in 0..<13 {
                for c in alphabet where c != symbols[i] {
                    var typo = symbols; typo[i] = c
                    #expect(throws: AccessCode.ParseError.checkFailed) { try AccessCode.parse(String(typo)) }
                }
            }
            for i in 0..<13 where symbols[i] != symbols[i + 1] {
                var swapped = symbols; swapped.swapAt(i, i + 1)
                #expect(throws: (any Error).self) { try AccessCode.parse(String(swapped)) }
            }
        }
    }

    @Test func wrongLengthOrForeignSymbolsAreNamed() {
        #expect(throws: AccessCode.ParseError.length(5)) { try AccessCode.parse("ABCDE") }
        #expect(throws: AccessCode.ParseError.symbol("U", position: 3)) { try AccessCode.parse("ABUDEFGHJKMNPQ") }
    }

    @Test func qrPNGDecodesWithZbarToExactlyThePayload() throws {
        let uri = AccessURI(sessionID: "room-1-20261125T120000Z-0000abcd", code: "7GQ4-XM2C-9TDA-H$", chainHash: String(repeating: "ab", count: 32))
        let qr = try QRCode(uri.string)
        let dir = Scratch("qr")
        defer { dir.remove() }
        let png = dir.file("code.png")
        try qr.png(scale: 6).write(to: URL(fileURLWithPath: png))
        let r = try Run.tool("zbarimg", ["-q", "--raw", png])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.trimmingCharacters(in: .newlines) == uri.string)
        #expect(AccessURI.parse(r.stdout.trimmingCharacters(in: .newlines)) == uri)
        #expect(qr.svg().contains("<path d=\"M"))
        #expect(qr.terminal().split(separator: "\n").count == (qr.size + 5) / 2)
    }

    @Test func durations() {
        #expect(parseDuration("30d") == 2_592_000.0)
        #expect(parseDuration("12h") == 43_200.0)
        #expect(parseDuration("2w") == 1_209_600.0)
        #expect(parseDuration("5x") == nil && parseDuration("-1d") == nil && parseDuration("d") == nil)
    }
}
