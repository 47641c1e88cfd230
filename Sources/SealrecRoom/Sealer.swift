import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecPipeline
import SealrecSeal
import CSystem

/// Who and what a session is about, entered before recording.
public struct SessionMetadata: Sendable, Equatable {
    public var sessionID: String
    public var caseNumber: String?
    /// "ROLE=NAME" entries, e.g. "suspect=J. Doe".
    public var participants: [String]

    public init(sessionID: String, caseNumber: String? = nil, participants: [String] = []) {
        self.sessionID = sessionID; self.caseNumber = caseNumber; self.participants = participants
    }

    /// A new session id: room, UTC start to the second, and 32 random bits (two presses in one
    /// second in one room still differ).
    public static func newSessionID(room: String, at date: Date = Date()) -> String {
        let ts = RFC3339.compact(date)
        let random = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(room)-\(ts)-\(String(repeating: "0", count: 8 - random.count))\(random)"
    }

    /// Checks what an operator typed: bounded, printable, ROLE=NAME participants.
    public func validate() throws {
        func fail(_ m: String) -> ConfigError { ConfigError(m) }
        if let c = caseNumber, c.isEmpty || c.count > 128 || c.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }) {
            throw fail("case number must be 1 to 128 printable characters")
        }
        guard participants.count <= 32 else { throw fail("at most 32 participants") }
        for p in participants {
            let parts = p.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, p.count <= 200,
                  !p.contains(where: { $0.isNewline }) else {
                throw fail("participant '\(p)' must be ROLE=NAME (e.g. suspect=J. Doe), at most 200 characters")
            }
        }
    }
}

/// The sealer: the pipeline's observer that turns each closed segment and event into a signed,
/// hash-chained manifest entry the moment it happens, and hands each entry, once durable, to its sink.
public final class Sealer: SessionObserver, @unchecked Sendable {
    private let folder: URL
    private let key: RoomKey
    private let metadata: SessionMetadata
    private let config: RoomConfig
    /// Told of every entry after its line is written and fsynced (the live upload); set before the session starts.
    public var sink: SealedEntrySink?
    private var writer: ManifestWriter?
    private var lastGoodMicros: Int64 = 0
    /// Markers the manifest writer refused (left out of the record).
    public private(set) var refusedMarkers = 0

    public init(folder: String, key: RoomKey, metadata: SessionMetadata, config: RoomConfig, sink: SealedEntrySink? = nil) {
        self.folder = URL(fileURLWithPath: folder)
        self.key = key
        self.metadata = metadata
        self.config = config
        self.sink = sink
    }

    public func sessionStarted(_ start: SessionStart) throws {
        // The timeline tolerance is one frame of the slowest camera (the longest frame of any video
        // track), whatever the order the cameras are configured in (MANIFEST.md R17).
        let fps = max(1, config.cameras.map(\.frameRate).min() ?? 25)
        var encoder: [JSONMember] = start.encoders.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) }
        encoder.append(JSONMember("segment_seconds", .int(start.segmentSeconds)))
        let header = SessionHeader(
            sessionID: metadata.sessionID, roomID: config.room.id, caseNumber: metadata.caseNumber,
            participants: metadata.participants.isEmpty ? nil : metadata.participants,
            devices: start.sources.map { Device(kind: $0.kind.rawValue, name: "\($0.name) (\($0.source), \($0.format))") },
            encoder: encoder, software: SealrecVersion.string, utcAnchor: start.utcAnchor,
            ntpSynchronized: SystemClockStatus.isSynchronized,
            segmentDurationMicros: Int64(start.segmentSeconds) * 1_000_000,
            frameDurationMicros: Int64(1_000_000 / fps))
        writer = try ManifestWriter(folder: folder, key: key, session: header)
        handOver(.session(room: config.room.id, session: metadata.sessionID), from: 0)
    }

    public func segmentClosed(_ s: ClosedSegment) throws {
        guard let writer, let digest = Digest(hex: s.sha256Hex) else { return }
        let before = writer.byteCount
        try writer.appendSegment(SegmentRecord(fileName: s.fileName, byteLength: s.byteLength, sha256: digest,
                                               startMicros: s.startNanos / 1000, durationMicros: s.durationNanos / 1000,
                                               wallClockStart: s.wallClockStart))
        lastGoodMicros = (s.startNanos + s.durationNanos) / 1000
        handOver(.segment(path: folder.path + "/" + s.fileName, length: s.byteLength, sha256: digest), from: before)
    }

    public func pipelineEvent(_ event: PipelineEvent) throws {
        guard let writer else { return }
        let before = writer.byteCount
        // A refused marker writes nothing: `handOver` then has no line to hand over.
        defer { handOver(.event, from: before) }
        switch event {
        case let .dropped(source, count, t, reason):
            try writer.appendEvent(EventRecord(kind: .droppedFrames, atMicros: t / 1000, source: source,
                                               details: "\(count) buffer(s) dropped: \(reason)"))
        case let .sourceFailed(source, t, message):
            // The session goes on without this device; its own track ends here (the timeline has no hole).
            try writer.appendEvent(EventRecord(kind: .deviceGap, atMicros: t / 1000, source: source,
                                               details: "\(source) stopped delivering after \(Double(t / 1000) / 1e6) s: \(message)"))
        case let .marker(text, t):
            // A marker the writer refuses (too long, over the manifest's budget) is left out; it
            // must never end the recording. The daemon refuses such marks before they get here.
            do {
                try writer.appendEvent(EventRecord(kind: .marker, atMicros: t / 1000, source: "operator", details: text))
            } catch {
                guard case .invalidRecord = error else { throw error }
                refusedMarkers += 1
            }
        case let .clockCorrected(source, t, ppm, corrected, startOffset, endOffset):
            let ms = { (n: Int64) in String(format: "%.1f ms", Double(n) / 1e6) }
            try writer.appendEvent(EventRecord(kind: .other, atMicros: t / 1000, source: source,
                                               details: String(format: "clock %+.1f ppm against CLOCK_MONOTONIC; ", ppm)
                                                   + "\(ms(corrected)) corrected by resampling; sound-to-timeline offset \(ms(startOffset)) at start, \(ms(endOffset)) at end"))
        case let .deviceGap(source, start, duration, reason):
            // Recorded when the gap ends (its length is known then); at_us is that instant.
            let gap = DeclaredGap(startMicros: start / 1000, durationMicros: max(1, (duration + 999) / 1000))
            try writer.appendEvent(EventRecord(kind: .deviceGap, atMicros: gap.endMicros, source: source,
                                               details: "no media for \(Double(gap.durationMicros / 1000) / 1000) s: \(reason)", gap: gap))
        }
    }

    public func sessionEnded(_ end: SessionEnd) throws {
        guard let writer else { return }
        let reason = SealrecSeal.EndReason(rawValue: end.reason.rawValue) ?? .error
        let before = writer.byteCount
        try writer.close(reason: reason, lastGoodMicros: max(lastGoodMicros, end.durationNanos / 1000))
        handOver(.end, from: before)
    }

    /// Tells the sink of the line the writer appended after byte `before`, if it appended one: the
    /// writer's own bytes, fsynced, so nothing is read back from the manifest.
    private func handOver(_ kind: SealedEntry.Kind, from before: Int64) {
        guard let sink, let writer, writer.byteCount > before,
              writer.byteCount - before == Int64(writer.lastLine.count) else { return }
        sink.sealed(SealedEntry(kind: kind, offset: Int(before), line: writer.lastLine))
    }
}

/// One manifest entry the sealer has made durable (written and fsynced).
public struct SealedEntry: Sendable {
    public enum Kind: Sendable, Equatable {
        /// The first entry, naming the session.
        case session(room: String, session: String)
        /// A sealed segment file: it does not change any more.
        case segment(path: String, length: Int64, sha256: Digest)
        case event
        /// The closing entry: nothing follows it.
        case end
    }
    public let kind: Kind
    /// Where the line starts in `manifest.jsonl`.
    public let offset: Int
    /// The line exactly as written, with its trailing "\n".
    public let line: [UInt8]
}

/// Where the sealer hands each durable entry (the live upload). Called on the sealing thread,
/// between entries: it must not wait for the network. An entry it misses (one it could not queue,
/// or one the sealer could not hand over) it must make up from the manifest before the next.
public protocol SealedEntrySink: AnyObject, Sendable {
    func sealed(_ entry: SealedEntry)
}

/// Whether the kernel considers the system clock synchronised (NTP/chrony/timesyncd): recorded
/// with each session because the UTC anchor is only as good as the clock.
public enum SystemClockStatus {
    public static var isSynchronized: Bool {
        sr_clock_synchronized() == 1
    }
}
