import Foundation
import SealrecPipeline
import SealrecRoom
import SealrecSystem

/// `SPOOL/current.json`: the session the room is recording, written before it starts and removed
/// once it is sealed, so a restart after a crash knows the room was recording and resumes it with
/// the same case and participants. `stopping` is set once a stop was taken: such a session is
/// closed by recovery, never resumed. On disk:
/// `{"session": ID, "participants": [...], "case": CASE (optional), "stopping": true (optional)}`.
struct CurrentSessionMarker: Codable, Equatable {
    var session: String
    var participants: [String]
    var caseNumber: String?
    var stopping: Bool

    enum CodingKeys: String, CodingKey { case session, participants, caseNumber = "case", stopping }

    init(_ metadata: SessionMetadata, stopping: Bool = false) {
        session = metadata.sessionID
        participants = metadata.participants
        caseNumber = metadata.caseNumber
        self.stopping = stopping
    }

    /// As earlier versions read it: only `session` is required.
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        session = try c.decode(String.self, forKey: .session)
        participants = try c.decodeIfPresent([String].self, forKey: .participants) ?? []
        caseNumber = try c.decodeIfPresent(String.self, forKey: .caseNumber)
        stopping = try c.decodeIfPresent(Bool.self, forKey: .stopping) ?? false
    }

    /// As earlier versions wrote it: `case` and `stopping` only when there is something to say.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(session, forKey: .session)
        try c.encode(participants, forKey: .participants)
        try c.encodeIfPresent(caseNumber, forKey: .caseNumber)
        if stopping { try c.encode(true, forKey: .stopping) }
    }

    var metadata: SessionMetadata { SessionMetadata(sessionID: session, caseNumber: caseNumber, participants: participants) }

    /// The marker at `path`; nil when there is none or it cannot be read as one.
    static func load(_ path: String) -> CurrentSessionMarker? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }

    /// Written atomically and durably: a crash leaves the old marker or the new one.
    func write(to path: String) throws {
        try Files.writeAtomically(try JSONEncoder().encode(self), to: path)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
