import Testing
import SealrecFormat

@Suite struct SafeTextTests {
    @Test func printableTextOfAnyScriptPassesUnchanged() {
        #expect(SafeText.escape("seg-00001.mp4") == "seg-00001.mp4")
        #expect(SafeText.escape("讯问 张三 rights read") == "讯问 张三 rights read")
    }

    @Test func terminalEscapesCannotRepaintTheLine() {
        // A file name that would move to the line start and print a fake verdict over the real one.
        let hostile = "x.mp4\r\u{1b}[2K\u{1b}[32mVERIFIED\u{1b}[0m"
        let shown = SafeText.escape(hostile)
        #expect(shown == "x.mp4\\x0d\\x1b[2K\\x1b[32mVERIFIED\\x1b[0m")
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test func newlinesCannotStartAForgedLogLine() {
        #expect(SafeText.escape("ok\n<0>FAKE EMERGENCY") == "ok\\x0a<0>FAKE EMERGENCY")
    }

    @Test func bidiOverridesAndC1ControlsAreShown() {
        #expect(SafeText.escape("a\u{202E}4pm.exe") == "a\\u{202e}4pm.exe")
        #expect(SafeText.escape("\u{9B}31m") == "\\x9b31m")
        #expect(SafeText.escape("zero\u{200B}width") == "zero\\u{200b}width")
    }

    @Test func backslashesAreDoubledSoEveryEscapeIsOurs() {
        #expect(SafeText.escape(#"a\x1b"#) == #"a\\x1b"#)
    }

    @Test func invalidUTF8BytesBecomeReplacementCharacters() {
        #expect(SafeText.escape(bytes: [0x61, 0xFF, 0x1B]) == "a\u{FFFD}\\x1b")
    }
}
