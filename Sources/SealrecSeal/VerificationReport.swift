import Foundation

/// One thing found wrong, located as precisely as possible.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of manifest.jsonl, when the problem is in (or about) one entry.
    public var line: Int?
    public var seq: Int64?
    /// The segment or other file in the folder the problem is about.
    public var file: String?
    public var message: String

    public init(line: Int? = nil, seq: Int64? = nil, file: String? = nil, _ message: String) {
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
    public var folder: String
    public var summary = VerificationSummary()
    public var problems: [VerificationProblem] = []
    /// Observations that do not affect the verdict (e.g. an unrelated file in the folder).
    public var notes: [String] = []

    public init(folder: String) { self.folder = folder }

    public var verdict: Verdict {
        if !problems.isEmpty { return .failed }
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

    mutating func add(_ problem: VerificationProblem) { problems.append(problem) }
}
