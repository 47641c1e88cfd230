import Foundation
import SealrecFormat

/// Human and machine renderings of a report.
extension VerificationReport {
    public var verdictLine: String {
        let fingerprint = summary.keyFingerprint ?? "unknown"
        switch verdict {
        case .verified:
            return "VERIFIED: every check holds; signed by trusted key \(fingerprint)"
        case .untrustedKey:
            return "UNTRUSTED KEY: entries, chain and files are consistent, but signed by untrusted key \(fingerprint)"
                + " (from \(summary.keySource ?? SessionFiles.publicKey)); pass --trust with the room's registered public key"
        case .failed:
            return "FAILED: \(problemCount) problem\(problemCount == 1 ? "" : "s") found"
        }
    }

    public func text() -> String {
        var lines = ["sealrec verify \(folder)", verdictLine]
        let s = summary
        lines.append("session: \(s.sessionID ?? "?")  room: \(s.roomID ?? "?")" + (s.caseNumber.map { "  case: \($0)" } ?? ""))
        lines.append("key: \(s.keyFingerprint ?? "?") (\(s.keyTrusted ? "trusted" : "untrusted"), from \(s.keySource ?? "nowhere"))")
        lines.append("start: \(s.startUTC.map(RFC3339.format) ?? "?")  end: \(s.endUTC.map(RFC3339.format) ?? "?")"
            + "  duration: \(s.durationMicros.map(Self.seconds) ?? "?")")
        lines.append("segments: \(s.segmentCount)  entries: \(s.entryCount)  bytes hashed: \(s.bytesHashed)"
            + "  end reason: \(s.endReason?.rawValue ?? "none")")
        for gap in s.declaredGaps.prefix(Self.maxGapLines) {
            lines.append("declared gap: \(Self.seconds(gap.startMicros)) + \(Self.seconds(gap.durationMicros))")
        }
        if s.declaredGaps.count > Self.maxGapLines {
            lines.append("declared gap: ... and \(s.declaredGaps.count - Self.maxGapLines) more (see --json)")
        }
        lines += problems.map { "problem: \($0) [\($0.code.rawValue)]" }
        if omittedProblems > 0 {
            lines.append("problem: ... and \(omittedProblems) more problems (only the first \(problems.count) are listed)")
        }
        lines += notes.map { "note: \($0)" }
        if omittedNotes > 0 { lines.append("note: ... and \(omittedNotes) more notes") }
        // Names and strings from the folder and the manifest are untrusted: each line is escaped
        // whole, so none can move the cursor, repaint a line or start a line of its own.
        return lines.map { SafeText.escape($0) }.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        let s = summary
        func optional<T>(_ value: T?, _ make: (T) -> JSONValue) -> JSONValue { value.map(make) ?? .null }
        let summaryMembers: [JSONMember] = [
            JSONMember("session_id", optional(s.sessionID, JSONValue.string)),
            JSONMember("room_id", optional(s.roomID, JSONValue.string)),
            JSONMember("case_number", optional(s.caseNumber, JSONValue.string)),
            JSONMember("key_fingerprint", optional(s.keyFingerprint, JSONValue.string)),
            JSONMember("key_trusted", .bool(s.keyTrusted)),
            JSONMember("key_source", optional(s.keySource, JSONValue.string)),
            JSONMember("start_utc", optional(s.startUTC) { .string(RFC3339.format($0)) }),
            JSONMember("end_utc", optional(s.endUTC) { .string(RFC3339.format($0)) }),
            JSONMember("duration_us", optional(s.durationMicros, JSONValue.int)),
            JSONMember("segments", .int(s.segmentCount)),
            JSONMember("entries", .int(s.entryCount)),
            JSONMember("bytes_hashed", .int(s.bytesHashed)),
            JSONMember("end_reason", optional(s.endReason) { .string($0.rawValue) }),
            JSONMember("declared_gaps", .array(s.declaredGaps.map {
                .object([JSONMember("start_us", .int($0.startMicros)), JSONMember("duration_us", .int($0.durationMicros))])
            })),
        ]
        let problemValues: [JSONValue] = problems.map { problem in
            .object([
                JSONMember("line", optional(problem.line, JSONValue.int)),
                JSONMember("seq", optional(problem.seq, JSONValue.int)),
                JSONMember("file", optional(problem.file, JSONValue.string)),
                JSONMember("message", .string(problem.message)),
                JSONMember("code", .string(problem.code.rawValue)),
            ])
        }
        let report = JSONValue.object([
            JSONMember("folder", .string(folder)),
            JSONMember("verdict", .string(verdict.rawValue)),
            JSONMember("message", .string(verdictLine)),
            JSONMember("summary", .object(summaryMembers)),
            JSONMember("problems", .array(problemValues)),
            JSONMember("problems_omitted", .int(omittedProblems)),
            JSONMember("notes", .array(notes.map { .string($0) })),
            JSONMember("notes_omitted", .int(omittedNotes)),
        ])
        return String(decoding: report.asciiBytes, as: UTF8.self) + "\n"
    }

    /// Declared gaps listed in the text report; the JSON report lists all.
    static let maxGapLines = 100

    static func seconds(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction) s"
    }
}
