import Foundation
import SealrecCrypto
import SealrecFormat

/// One capture device of the session, as recorded in the `session` entry.
public struct Device: Sendable, Equatable {
    /// What the device delivers, e.g. "video" or "audio".
    public var kind: String
    public var name: String

    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }
}

/// What the `session` entry (seq 0) records about the recording as a whole.
public struct SessionHeader: Sendable, Equatable {
    public var sessionID: String
    public var roomID: String
    public var caseNumber: String?
    public var participants: [String]?
    public var devices: [Device]
    /// Encoder settings as a JSON object, e.g. [JSONMember("video_codec", .string("h264"))].
    public var encoder: [JSONMember]
    public var software: String
    /// Wall-clock instant of timeline zero.
    public var utcAnchor: Date
    public var ntpSynchronized: Bool
    public var segmentDurationMicros: Int64
    /// One video frame; the verifier's tolerance for timeline continuity.
    public var frameDurationMicros: Int64

    public init(sessionID: String, roomID: String, caseNumber: String? = nil, participants: [String]? = nil,
                devices: [Device], encoder: [JSONMember], software: String, utcAnchor: Date,
                ntpSynchronized: Bool, segmentDurationMicros: Int64, frameDurationMicros: Int64) {
        self.sessionID = sessionID
        self.roomID = roomID
        self.caseNumber = caseNumber
        self.participants = participants
        self.devices = devices
        self.encoder = encoder
        self.software = software
        self.utcAnchor = utcAnchor
        self.ntpSynchronized = ntpSynchronized
        self.segmentDurationMicros = segmentDurationMicros
        self.frameDurationMicros = frameDurationMicros
    }
}

/// A finished segment, hashed by the pipeline while it wrote the file.
public struct SegmentRecord: Sendable, Equatable {
    /// Plain file name inside the session folder (no directories).
    public var fileName: String
    public var byteLength: Int64
    public var sha256: Digest
    public var startMicros: Int64
    public var durationMicros: Int64
    public var wallClockStart: Date

    public init(fileName: String, byteLength: Int64, sha256: Digest, startMicros: Int64, durationMicros: Int64,
                wallClockStart: Date) {
        self.fileName = fileName
        self.byteLength = byteLength
        self.sha256 = sha256
        self.startMicros = startMicros
        self.durationMicros = durationMicros
        self.wallClockStart = wallClockStart
    }
}

public enum EventKind: String, Sendable, CaseIterable {
    case marker
    case droppedFrames = "dropped_frames"
    case deviceGap = "device_gap"
    case other
}

/// A stretch of the timeline with no media, declared so the verifier accepts the discontinuity.
public struct DeclaredGap: Sendable, Equatable {
    public var startMicros: Int64
    public var durationMicros: Int64

    public init(startMicros: Int64, durationMicros: Int64) {
        self.startMicros = startMicros
        self.durationMicros = durationMicros
    }

    /// Saturating: a declared gap read from a manifest may reach past Int64.max.
    public var endMicros: Int64 { startMicros.saturatingAdd(durationMicros) }
}

public struct EventRecord: Sendable, Equatable {
    public var kind: EventKind
    public var atMicros: Int64
    /// Which component reported it, e.g. a device name.
    public var source: String
    public var details: String
    public var gap: DeclaredGap?

    public init(kind: EventKind, atMicros: Int64, source: String, details: String, gap: DeclaredGap? = nil) {
        self.kind = kind
        self.atMicros = atMicros
        self.source = source
        self.details = details
        self.gap = gap
    }
}

public enum EndReason: String, Sendable, CaseIterable {
    case stopped, interrupted
    case diskFull = "disk_full"
    case error
}

public struct EndRecord: Sendable, Equatable {
    public var reason: EndReason
    public var lastGoodMicros: Int64
    /// End of the last segment on the timeline.
    public var durationMicros: Int64
    public var segmentCount: Int64

    public init(reason: EndReason, lastGoodMicros: Int64, durationMicros: Int64, segmentCount: Int64) {
        self.reason = reason
        self.lastGoodMicros = lastGoodMicros
        self.durationMicros = durationMicros
        self.segmentCount = segmentCount
    }
}

/// The content of one manifest line, apart from the chain members (seq, type, prev) and sig.
public enum ManifestEntry: Sendable, Equatable {
    case session(SessionHeader, keyFingerprint: String)
    case segment(SegmentRecord)
    case event(EventRecord)
    case end(EndRecord)

    public var typeName: String {
        switch self {
        case .session: "session"
        case .segment: "segment"
        case .event: "event"
        case .end: "end"
        }
    }
}
