import Foundation
import SealrecFormat

/// Log lines on stderr with sd-daemon priority prefixes (`<3>` error ... `<7>` debug): journald
/// keeps the level, and a terminal still reads them.
///
/// Text from clients is escaped where it is quoted (`SafeText.escape`, or `excerpt`); on top of
/// that, `Log` itself makes every line safe: control characters become visible escapes, and a line
/// that would begin with `<` gets it escaped, so no message can forge a priority or a line.
public enum Log {
    public enum Level: Int, Sendable { case error = 3, warning = 4, notice = 5, info = 6, debug = 7 }
    private static let lock = NSLock()
    nonisolated(unsafe) public static var minimum: Level = .info

    public static func error(_ m: String) { write(.error, m) }
    public static func warning(_ m: String) { write(.warning, m) }
    public static func notice(_ m: String) { write(.notice, m) }
    public static func info(_ m: String) { write(.info, m) }
    public static func debug(_ m: String) { write(.debug, m) }

    /// Untrusted text for a log line: its first `limit` characters escaped, and its full length
    /// when cut (a flood of long texts must not become a flood of log).
    public static func excerpt(_ text: String, limit: Int = 120) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return SafeText.escape(text) }
        var head = String.UnicodeScalarView()
        head.append(contentsOf: scalars.prefix(limit))
        return SafeText.escape(String(head)) + "... (\(text.utf8.count) bytes)"
    }

    static func write(_ level: Level, _ message: String) {
        guard level.rawValue <= minimum.rawValue else { return }
        // One write per line, each line prefixed: multi-line messages stay attributed in the journal.
        let text = message.split(separator: "\n", omittingEmptySubsequences: false).map { "<\(level.rawValue)>\(safeLine($0))\n" }.joined()
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// One line as it may be written: non-printable characters escaped (backslashes left alone,
    /// so text escaped by the caller is not escaped twice), a leading `<` as `\x3c`.
    static func safeLine(_ line: Substring) -> String {
        var out = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            if SafeText.isPrintable(scalar) { out.append(scalar) } else { out.append(contentsOf: SafeText.escape(String(scalar)).unicodeScalars) }
        }
        if out.first == "<" { return "\\x3c" + String(String(out).unicodeScalars.dropFirst()) }
        return String(out)
    }
}
