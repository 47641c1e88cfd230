/// Text that came from outside (a file name in a store, a marker an operator typed, a field of a
/// manifest someone else wrote) made safe to print on a terminal or write to the journal.
///
/// Every character that is not printable becomes a visible escape, so hostile input can neither
/// move the cursor, repaint a line ("VERIFIED" over "FAILED"), start a new log line, nor hide
/// text behind bidirectional overrides. Printable text of any script (Chinese names included)
/// passes unchanged. A backslash is doubled, so an escape in the output always means one was made.
public enum SafeText {
    /// `\n` → `\x0a`, ESC → `\x1b`, U+202E → `\u{202e}`, `\` → `\\`; everything printable as is.
    public static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                out += "\\\\"
            } else if isPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x100 {
                out += "\\x" + hex(scalar.value, width: 2)
            } else {
                out += "\\u{" + hex(scalar.value, width: 4) + "}"
            }
        }
        return out
    }

    /// Bytes that may not be UTF-8 at all (a raw file name): invalid sequences become U+FFFD first.
    public static func escape(bytes: some Sequence<UInt8>) -> String {
        escape(String(decoding: Array(bytes), as: UTF8.self))
    }

    /// Printable: not a control (C0, DEL, C1), not a format character (bidi controls, zero-width
    /// joiners, BOM), not a line or paragraph separator, not unassigned, private or a surrogate.
    public static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate:
            return false
        default:
            return true
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
