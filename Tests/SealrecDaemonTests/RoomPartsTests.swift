import Foundation
import SealrecRoom
@testable import SealrecDaemon
@testable import SealrecStore
import Testing
import TestSupport

/// The controller's parts that need no daemon: the current-session marker and the status.
@Suite struct RoomPartsTests {
    /// Markers as earlier versions wrote them (JSONSerialization, any member order) still resume
    /// the session with its case and participants, and a stopping one still says so.
    @Test func markersEarlierVersionsWroteAreRead() throws {
        let scratch = Scratch("marker")
        defer { scratch.remove() }
        let path = scratch.file("current.json")
        let old = [
            (#"{"participants":["suspect=J. Doe","lawyer=A\/B"],"session":"r-1","case":"K-7"}"#, "r-1", "K-7", ["suspect=J. Doe", "lawyer=A/B"], false),
            (#"{"session":"r-2","participants":[],"stopping":true}"#, "r-2", nil, [], true),
            (#"{"session":"r-3"}"#, "r-3", nil, [], false),
        ]
        for (json, session, caseNumber, participants, stopping) in old {
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let marker = try #require(CurrentSessionMarker.load(path), "\(json)")
            #expect(marker.metadata == SessionMetadata(sessionID: session, caseNumber: caseNumber, participants: participants), "\(json)")
            #expect(marker.stopping == stopping, "\(json)")
        }
        for broken in ["", "{", #"{"participants":[]}"#, #"{"session":5}"#] {
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(CurrentSessionMarker.load(path) == nil, "\(broken)")
        }
        CurrentSessionMarker.remove(path)
        #expect(CurrentSessionMarker.load(path) == nil)
    }

    /// What this version writes, earlier versions read: the same members, `case` and `stopping` only when set.
    @Test func markersThisVersionWritesHaveTheOldMembers() throws {
        let scratch = Scratch("marker")
        defer { scratch.remove() }
        let path = scratch.file("current.json")
        let metadata = SessionMetadata(sessionID: "r-9", caseNumber: "K-1", participants: ["witness=Y"])
        try CurrentSessionMarker(metadata, stopping: true).write(to: path)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(Set(written.keys) == ["session", "participants", "case", "stopping"])
        #expect(written["session"] as? String == "r-9" && written["case"] as? String == "K-1" && written["stopping"] as? Bool == true)
        #expect(written["participants"] as? [String] == ["witness=Y"])
        try CurrentSessionMarker(SessionMetadata(sessionID: "r-10")).write(to: path)
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(Set(plain.keys) == ["session", "participants"])
        #expect(CurrentSessionMarker.load(path) == CurrentSessionMarker(SessionMetadata(sessionID: "r-10")))
    }

    @Test func statusSaysWhatIsWrong() {
        let second: Int64 = 1_000_000_000
        let upload = UploadStatus(store: "file:///central", backlogItems: 3, backlogBytes: 300, inFlight: 1, uploadedItems: 7,
                                  uploadedBytes: 700, bytesPerSecond: 0, estimatedSecondsToClear: nil,
                                  lastErrorKind: "unreachable", lastError: "connection refused", lastErrorAt: Date(), lastSuccessAt: nil)
        let status = RoomStatus(
            state: "recording",
            recording: .init(id: "r-1", folder: "/spool/sessions/r-1", zero: 100 * second, requestedAt: 100 * second - 50_000_000,
                             segments: 4, bytes: 3_600_000, droppedBuffers: 2, audioLevels: ["mic1": -20]),
            failure: nil, lastSession: ("r-0", "stopped", "VERIFIED"), freeBytes: 2_000_000 + 1_048_576, reserveBytes: 1_048_576,
            cameras: 1, microphones: 1, uploads: upload, clockSynchronized: false)
        let r = status.reply(now: 110 * second)
        #expect(r.ok && r.state == "recording" && r.session == "r-1" && r.segmentsSealed == 4)
        #expect(r.elapsedSeconds == 10 && r.startLatencyMs == 50)
        // 3.6 MB in 10 s is 1.296 GB an hour: 2 MB above the reserve is seconds of recording.
        #expect(abs((r.hoursOfRecordingLeft ?? -1) - 2_000_000 / 1.296e9) < 1e-9)
        #expect(r.uploadBacklogItems == 3 && r.uploadError == "unreachable: connection refused")
        #expect(r.warnings == ["2 buffer(s) dropped in this session", "disk: about 0.0 h of recording left",
                               "upload waiting: unreachable: connection refused", "system clock is not NTP-synchronised"])
        #expect(r.lastSession == "r-0" && r.lastEndReason == "stopped" && r.verification == "VERIFIED")

        // Idle with nothing wrong: no warnings; the rate is the room's estimate.
        let idle = RoomStatus(state: "idle", recording: nil, failure: nil, lastSession: nil, freeBytes: 1 << 40, reserveBytes: 0,
                              cameras: 1, microphones: 1, uploads: nil, clockSynchronized: true)
        let i = idle.reply(now: 0)
        #expect(i.warnings == [] && i.session == nil && i.uploadBacklogItems == nil)
        #expect(abs((i.hoursOfRecordingLeft ?? 0) - Double(1 << 40) / (0.9e9 + 0.06e9 + 1)) < 1e-6)
    }
}
