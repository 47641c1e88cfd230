import Foundation
import SealrecStore

/// What `status` answers: the room's state, the running session's progress, the disk, the upload
/// queue and the warnings an operator must see. Filled from the controller (under its lock), then
/// rendered without it.
struct RoomStatus {
    /// The running session, as the controller sees it.
    struct Recording {
        var id: String
        var folder: String
        /// Timeline zero and the start request, on the monotonic clock (nanoseconds).
        var zero: Int64?
        var requestedAt: Int64
        var segments: Int
        var bytes: Int64
        var droppedBuffers: Int
        var audioLevels: [String: Double]
    }

    var state: String
    var recording: Recording?
    var failure: String?
    var lastSession: (id: String, reason: String, verification: String)?
    var freeBytes: Int64?
    var reserveBytes: Int64
    var cameras: Int
    var microphones: Int
    var uploads: UploadStatus?
    var clockSynchronized: Bool

    func reply(now: Int64) -> ControlReply {
        var r = ControlReply(ok: true)
        r.state = state
        var warnings: [String] = []
        r.freeDiskBytes = freeBytes
        if let c = recording {
            r.session = c.id
            r.sessionFolder = c.folder
            if let zero = c.zero {
                r.elapsedSeconds = Double(now - zero) / 1e9
                r.startLatencyMs = Double(zero - c.requestedAt) / 1e6
            }
            r.segmentsSealed = c.segments
            r.droppedBuffers = c.droppedBuffers
            r.audioLevels = c.audioLevels
            if c.droppedBuffers > 0 { warnings.append("\(c.droppedBuffers) buffer(s) dropped in this session") }
        }
        if let freeBytes {
            let hours = max(0, Double(freeBytes - reserveBytes)) / bytesPerHour(now: now)
            r.hoursOfRecordingLeft = hours
            if hours < 2 { warnings.append(String(format: "disk: about %.1f h of recording left", hours)) }
        }
        if let u = uploads {
            r.uploadBacklogItems = u.backlogItems
            r.uploadBacklogBytes = u.backlogBytes
            r.uploadBytesPerSecond = u.bytesPerSecond
            r.uploadSecondsToClear = u.estimatedSecondsToClear
            if let kind = u.lastErrorKind, u.backlogItems > 0 {
                r.uploadError = "\(kind): \(u.lastError ?? "")"
                warnings.append("upload waiting: \(kind): \(u.lastError ?? "")")
            }
        }
        if !clockSynchronized { warnings.append("system clock is not NTP-synchronised") }
        if let failure { warnings.append(failure) }
        r.warnings = warnings
        if let l = lastSession { r.lastSession = l.id; r.lastEndReason = l.reason; r.verification = l.verification }
        return r
    }

    /// Recording rate: what the running session has written so far, else an estimate from the room.
    func bytesPerHour(now: Int64) -> Double {
        if let c = recording, let zero = c.zero, c.bytes > 0 {
            let seconds = Double(now - zero) / 1e9
            if seconds > 5 { return Double(c.bytes) / seconds * 3600 }
        }
        // About 2 Mbit/s per camera at the default quality, plus sound.
        return Double(cameras) * 0.9e9 + Double(microphones) * 0.06e9 + 1
    }
}
