import Foundation

/// Log lines on stderr with sd-daemon priority prefixes (`<3>` error ... `<7>` debug): journald
/// keeps the level, and a terminal still reads them.
public enum Log {
    public enum Level: Int, Sendable { case error = 3, warning = 4, notice = 5, info = 6, debug = 7 }
    private static let lock = NSLock()
    nonisolated(unsafe) public static var minimum: Level = .info

    public static func error(_ m: String) { write(.error, m) }
    public static func warning(_ m: String) { write(.warning, m) }
    public static func notice(_ m: String) { write(.notice, m) }
    public static func info(_ m: String) { write(.info, m) }
    public static func debug(_ m: String) { write(.debug, m) }

    static func write(_ level: Level, _ message: String) {
        guard level.rawValue <= minimum.rawValue else { return }
        // One write per line, each line prefixed: multi-line messages stay attributed in the journal.
        let text = message.split(separator: "\n", omittingEmptySubsequences: false).map { "<\(level.rawValue)>\($0)\n" }.joined()
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
