#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// UTC timestamps with exactly six fraction digits ("2026-11-25T11:21:56.123456Z"): one fixed
/// width, so timestamps compare as text and reviewers can read them without tooling. The one
/// formatter of times for the manifest, the playlist, grants and the store (no Foundation
/// formatters: they pull in ICU and each picks its own precision).
public enum RFC3339 {
    /// Clamped to Int64's range: a date computed from a manifest's numbers may lie beyond it,
    /// and a report about a hostile manifest must still be printable.
    public static func microseconds(of date: Date) -> Int64 {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        if micros.isNaN { return 0 }
        if micros >= Double(Int64.max) { return .max }  // Double(Int64.max) is 2^63, one past the range
        if micros <= Double(Int64.min) { return .min }
        return Int64(micros)
    }

    public static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    public static func format(_ date: Date) -> String { format(microseconds: microseconds(of: date)) }

    public static func format(microseconds: Int64) -> String {
        var seconds = microseconds / 1_000_000
        var fraction = microseconds % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        let parts = utc(seconds)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
            + ".\(pad(Int(fraction), 6))Z"
    }

    /// The compact form, whole seconds rounded down: "20261125T113000Z" (session ids, S3 request
    /// dates, grant listings).
    public static func compact(_ date: Date) -> String {
        let parts = utc(Int64(date.timeIntervalSince1970.rounded(.down)))
        return "\(pad(Int(parts.tm_year) + 1900, 4))\(pad(Int(parts.tm_mon) + 1, 2))\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2))\(pad(Int(parts.tm_min), 2))\(pad(Int(parts.tm_sec), 2))Z"
    }

    private static func utc(_ seconds: Int64) -> tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Parses exactly the form `format` writes; anything else (other offsets, other precision,
    /// impossible dates such as February 30) is nil.
    public static func parseMicroseconds(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count == 27 else { return nil }
        let layout = Array("dddd-dd-ddTdd:dd:dd.ddddddZ".utf8)
        for (char, expected) in zip(chars, layout) {
            if expected == UInt8(ascii: "d") {
                guard char >= UInt8(ascii: "0"), char <= UInt8(ascii: "9") else { return nil }
            } else if char != expected {
                return nil
            }
        }
        func field(_ range: Range<Int>) -> Int32 { Int32(String(decoding: chars[range], as: UTF8.self))! }
        var parts = tm()
        parts.tm_year = field(0..<4) - 1900
        parts.tm_mon = field(5..<7) - 1
        parts.tm_mday = field(8..<10)
        parts.tm_hour = field(11..<13)
        parts.tm_min = field(14..<16)
        parts.tm_sec = field(17..<19)
        let normalized = parts
        let seconds = Int64(timegm(&parts))
        // timegm normalises out-of-range fields; a changed field means the input was not a real instant.
        guard parts.tm_year == normalized.tm_year, parts.tm_mon == normalized.tm_mon, parts.tm_mday == normalized.tm_mday,
              parts.tm_hour == normalized.tm_hour, parts.tm_min == normalized.tm_min, parts.tm_sec == normalized.tm_sec
        else { return nil }
        return seconds * 1_000_000 + Int64(field(20..<26))
    }
}
