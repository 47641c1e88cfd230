import Foundation
import SealrecAV

/// Something that happened during a session that belongs in its record (the manifest chain).
public enum PipelineEvent: Sendable, Equatable {
    /// Buffers lost at a source: its capture queue was full, or two frames fell on one frame slot.
    case dropped(source: String, count: Int, timelineNanos: Int64, reason: String)
    /// A source stopped delivering (device gone, file error) at a timeline instant.
    case sourceFailed(source: String, timelineNanos: Int64, message: String)
    /// An operator's marker.
    case marker(text: String, timelineNanos: Int64)
    /// A device delivered nothing for a stretch of the timeline (unplugged, fatal streaming error,
    /// audio overrun) and then came back, or the session ended first: the hole is declared.
    case deviceGap(source: String, startNanos: Int64, durationNanos: Int64, reason: String)
    /// At the end of a device microphone's track: how far its clock ran from CLOCK_MONOTONIC, how
    /// much was corrected, and the offset between its sound and the timeline at the start and end.
    case clockCorrected(source: String, timelineNanos: Int64, ppm: Double, correctedNanos: Int64,
                        startOffsetNanos: Int64, endOffsetNanos: Int64)
}

/// A segment file that is complete, flushed and durable under its final name.
public struct ClosedSegment: Sendable, Equatable {
    public let index: Int
    public let fileName: String
    public let byteLength: Int64
    /// SHA-256 of the file, taken from the bytes as they were written.
    public let sha256Hex: String
    public let startNanos: Int64
    public let durationNanos: Int64
    public let wallClockStart: Date
    /// Bytes of the ftyp+moov init section at the start of the file (for the HLS playlist).
    public let initSectionLength: Int64

    public init(index: Int, fileName: String, byteLength: Int64, sha256Hex: String, startNanos: Int64,
                durationNanos: Int64, wallClockStart: Date, initSectionLength: Int64) {
        self.index = index; self.fileName = fileName; self.byteLength = byteLength; self.sha256Hex = sha256Hex
        self.startNanos = startNanos; self.durationNanos = durationNanos; self.wallClockStart = wallClockStart
        self.initSectionLength = initSectionLength
    }
}

public struct SessionStart: Sendable {
    public let utcAnchor: Date
    public let sources: [SourceDescription]
    public let encoders: [String: String]
    public let segmentSeconds: Int
}

public enum StopReason: String, Sendable, Codable {
    case stopped, interrupted, diskFull = "disk_full", error
}

public struct SessionEnd: Sendable {
    public let reason: StopReason
    public let durationNanos: Int64
    public let segmentCount: Int
    public let message: String?
}

/// Receives a session's record in order, on the muxer thread: where sealing plugs in.
/// A throwing observer ends the session (a record that cannot be written must not go on silently).
public protocol SessionObserver: AnyObject {
    func sessionStarted(_ start: SessionStart) throws
    func segmentClosed(_ segment: ClosedSegment) throws
    func pipelineEvent(_ event: PipelineEvent) throws
    func sessionEnded(_ end: SessionEnd) throws
}

/// What flows from encoder stages to the muxer.
enum MuxItem: @unchecked Sendable {
    case packet(track: Int, Packet, timeBase: Rational)
    case event(PipelineEvent)
    /// The track has no more packets; its media ends at this timeline time.
    case trackEnded(track: Int, endNanos: Int64)
}

/// Segment arithmetic shared by the encoder stages (which force keyframes) and the muxer (which
/// routes packets): both must put every timestamp in the same segment.
struct SegmentClock: Sendable {
    let segmentNanos: Int64

    /// Timeline nanoseconds of a timestamp in `timeBase`, rounded down.
    static func nanos(_ ts: Int64, _ tb: Rational) -> Int64 {
        let num = Int64(tb.num) * 1_000_000_000, den = Int64(tb.den)
        let (q, r) = (ts * num).quotientAndRemainder(dividingBy: den)
        return r < 0 ? q - 1 : q
    }

    func index(ofNanos t: Int64) -> Int { Int(t >= 0 ? t / segmentNanos : 0) }
    func index(of ts: Int64, timeBase: Rational) -> Int { index(ofNanos: SegmentClock.nanos(ts, timeBase)) }
}
