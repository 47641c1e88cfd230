import Foundation
import SealrecSeal

/// The control socket's protocol: one JSON object per line each way.
///   request: {"cmd":"start","case":"2026-K-1","participants":["suspect=J. Doe"]}
///            {"cmd":"stop"}  {"cmd":"status"}  {"cmd":"mark","text":"rights read"}
///   reply:   {"ok":true,...} or {"ok":false,"error":"what was wrong"}
public enum ControlRequest: Equatable, Sendable {
    case start(caseNumber: String?, participants: [String])
    case stop
    case status
    case mark(text: String)

    public static let maxLineBytes = 64 * 1024

    /// Parses one request line strictly: an object, a known `cmd`, only its own keys, right types.
    public static func parse(_ line: Data) -> Result<ControlRequest, ControlError> {
        guard line.count <= maxLineBytes else { return .failure(.init("request longer than \(maxLineBytes) bytes")) }
        guard let object = try? JSONSerialization.jsonObject(with: line), let fields = object as? [String: Any] else {
            return .failure(.init("request is not a JSON object"))
        }
        guard let cmd = fields["cmd"] as? String else { return .failure(.init("request has no \"cmd\" string")) }
        func only(_ keys: Set<String>) -> ControlError? {
            let extra = Set(fields.keys).subtracting(keys.union(["cmd"]))
            return extra.isEmpty ? nil : .init("unknown field(s) for \(cmd): \(extra.sorted().joined(separator: ", "))")
        }
        switch cmd {
        case "start":
            if let e = only(["case", "participants"]) { return .failure(e) }
            var caseNumber: String?
            if let c = fields["case"] {
                guard let s = c as? String else { return .failure(.init("\"case\" must be a string")) }
                caseNumber = s
            }
            var participants: [String] = []
            if let p = fields["participants"] {
                guard let list = p as? [String] else { return .failure(.init("\"participants\" must be a list of \"ROLE=NAME\" strings")) }
                participants = list
            }
            return .success(.start(caseNumber: caseNumber, participants: participants))
        case "stop":
            if let e = only([]) { return .failure(e) }
            return .success(.stop)
        case "status":
            if let e = only([]) { return .failure(e) }
            return .success(.status)
        case "mark":
            if let e = only(["text"]) { return .failure(e) }
            guard let text = fields["text"] as? String, !text.isEmpty else { return .failure(.init("\"text\" must be a non-empty string")) }
            // Measured as the manifest will hold it: Swift's character count sees one character in
            // thousands of combining marks, the manifest 6 bytes for each.
            guard ManifestFormat.escapedByteCount(text, limit: ManifestFormat.maxMarkerTextBytes) <= ManifestFormat.maxMarkerTextBytes else {
                let bytes = ManifestFormat.escapedByteCount(text)
                return .failure(.init("mark refused: the text takes \(bytes) bytes in the manifest (a non-ASCII character takes 6), over the \(ManifestFormat.maxMarkerTextBytes)-byte limit"))
            }
            return .success(.mark(text: text))
        default:
            return .failure(.init("unknown cmd '\(cmd)' (known: start, stop, status, mark)"))
        }
    }

    public var line: Data {
        var o: [String: Any]
        switch self {
        case let .start(c, p): o = ["cmd": "start", "participants": p]; if let c { o["case"] = c }
        case .stop: o = ["cmd": "stop"]
        case .status: o = ["cmd": "status"]
        case let .mark(text): o = ["cmd": "mark", "text": text]
        }
        return (try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) + Data("\n".utf8)
    }
}

public struct ControlError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Everything the daemon says back. Fields that do not apply are left out.
public struct ControlReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var state: String?
    public var session: String?
    /// A start that found a session already running answers with it instead of starting another.
    public var alreadyRecording: Bool?
    public var elapsedSeconds: Double?
    public var segmentsSealed: Int?
    public var droppedBuffers: Int?
    /// Peak level of each microphone over the last second, dBFS.
    public var audioLevels: [String: Double]?
    public var startLatencyMs: Double?
    public var freeDiskBytes: Int64?
    public var hoursOfRecordingLeft: Double?
    public var warnings: [String]?
    public var lastSession: String?
    public var lastEndReason: String?
    public var verification: String?
    public var sessionFolder: String?
    /// Upload to the central store: what waits, how fast it goes, when it will be clear, what went wrong.
    public var uploadBacklogItems: Int?
    public var uploadBacklogBytes: Int64?
    public var uploadBytesPerSecond: Double?
    public var uploadSecondsToClear: Double?
    public var uploadError: String?

    public init(ok: Bool, error: String? = nil) { self.ok = ok; self.error = error }
    public static func failure(_ message: String) -> ControlReply { ControlReply(ok: false, error: message) }

    public var line: Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try! e.encode(self)) + Data("\n".utf8)
    }
}
