import Foundation

/// One thing found wrong, located as precisely as possible.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
    /// Why, as a stable snake_case code (MANIFEST.md lists them with their rules).
    public var code: ProblemCode
    /// 1-based line of manifest.jsonl, when the problem is in (or about) one entry.
    public var line: Int?
    public var seq: Int64?
    /// The segment or other file in the folder the problem is about.
    public var file: String?
    public var message: String

    public init(_ code: ProblemCode, line: Int? = nil, seq: Int64? = nil, file: String? = nil, _ message: String) {
        self.code = code
        self.line = line
        self.seq = seq
        self.file = file
        self.message = message
    }

    public var location: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let line { parts.append("line \(line)") }
        if let seq { parts.append("seq \(seq)") }
        return parts.isEmpty ? "session" : parts.joined(separator: ", ")
    }

    public var description: String { "\(location): \(message)" }
}

public enum Verdict: String, Sendable {
    /// Every check holds and the entries are signed by a trusted key.
    case verified
    /// Every check holds, but the signing key is not one the caller trusts: the folder proves
    /// only its own consistency, since whoever rewrote it could also have replaced its key.
    case untrustedKey = "untrusted_key"
    case failed
}

/// What the session claims, as far as it could be read.
public struct VerificationSummary: Sendable, Equatable {
    public var sessionID: String?
    public var roomID: String?
    public var caseNumber: String?
    public var keyFingerprint: String?
    public var keyTrusted = false
    /// Where the verifying key came from: "--trust <path>", "room.pub.pem", or nil when none.
    public var keySource: String?
    public var startUTC: Date?
    public var endUTC: Date?
    public var durationMicros: Int64?
    public var segmentCount = 0
    public var declaredGaps: [DeclaredGap] = []
    public var endReason: EndReason?
    public var entryCount = 0
    public var bytesHashed: Int64 = 0
}

public struct VerificationReport: Sendable {
    /// Only the first problems and notes are kept: a hostile manifest or folder can produce one per
    /// line or file, and the report must stay small. The rest are counted.
    public static let maxProblems = 1000
    public static let maxNotes = 100

    public var folder: String
    public var summary = VerificationSummary()
    /// The first `maxProblems` problems found, in the order found.
    public private(set) var problems: [VerificationProblem] = []
    /// Problems found beyond `maxProblems`, counted but not kept.
    public private(set) var omittedProblems = 0
    /// Observations that do not affect the verdict (e.g. an unrelated file in the folder).
    public private(set) var notes: [String] = []
    public private(set) var omittedNotes = 0

    public init(folder: String) { self.folder = folder }

    /// Every problem found, kept or not.
    public var problemCount: Int { problems.count + omittedProblems }

    public var verdict: Verdict {
        if problemCount > 0 { return .failed }
        return summary.keyTrusted ? .verified : .untrustedKey
    }

    /// 0 verified, 1 failed, 2 consistent but signed by an untrusted key.
    public var exitCode: Int32 {
        switch verdict {
        case .verified: 0
        case .failed: 1
        case .untrustedKey: 2
        }
    }

    /// The message is only built while there is room for it, so counting the rest stays cheap.
    mutating func add(_ problem: @autoclosure () -> VerificationProblem) {
        if problems.count < Self.maxProblems { problems.append(problem()) } else { omittedProblems += 1 }
    }

    /// `count` problems made by `problem(0..<count)`; only those that fit are made.
    mutating func add(count: Int, _ problem: (Int) -> VerificationProblem) {
        let kept = min(count, max(0, Self.maxProblems - problems.count))
        for index in 0..<kept { problems.append(problem(index)) }
        omittedProblems += count - kept
    }

    mutating func note(_ text: @autoclosure () -> String) {
        if notes.count < Self.maxNotes { notes.append(text()) } else { omittedNotes += 1 }
    }
}
