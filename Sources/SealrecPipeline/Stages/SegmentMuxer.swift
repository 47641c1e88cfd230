import Foundation
import SealrecAV
import SealrecSystem

/// The muxer element: routes each track's packets into the segment their timestamp falls in, one
/// fragmented-MP4 file per segment with every track, and closes a segment once every track has
/// moved past it. Runs on its own thread; all observer calls happen here, in order.
final class SegmentMuxer: @unchecked Sendable {
    /// fMP4 that stands alone: empty moov (no seeking back), quarter-second fragments (a crash loses
    /// the fragment being written plus what is inside the encoder: 0.6-0.8 s measured with the room
    /// defaults, where half-second fragments reached 1.04 s), and absolute decode times
    /// (frag_discont, no edit list, no shifting) so each segment carries its true place on the
    /// session timeline.
    static let muxerOptions: [String: String] = [
        "movflags": "empty_moov+default_base_moof+frag_discont",
        "frag_duration": "250000",
        "use_editlist": "0",
        "avoid_negative_ts": "disabled",
        // Hand each finished fragment to the file at once instead of holding it in AVIO's buffer.
        "flush_packets": "1",
    ]

    private struct OpenSegment {
        let index: Int
        let file: SegmentFile
        let writer: FormatWriter
        let initLength: Int64
    }

    private let folder: String
    private let encoders: [Encoder]
    private let clock: SegmentClock
    private let timeline: Timeline
    private let observer: SessionObserver?
    private let start: () -> SessionStart
    private let playlist: Playlist
    private var open: [Int: OpenSegment] = [:]
    private var trackSegment: [Int]
    /// When each track last delivered a packet (CLOCK_MONOTONIC): a silent track is a device gap.
    private var lastArrival: [Int64]
    /// Highest segment index already closed: nothing is ever written into a closed segment again.
    private var closedThrough = -1
    /// A track silent this long (wall time) no longer holds segments open (a device being reopened).
    static let idleNanos: Int64 = 2_000_000_000
    private var ended: [Int64?]
    private var started = false
    /// Events that arrive before the first packet (a marker right at start) wait for the record to exist.
    private var earlyEvents: [PipelineEvent] = []
    private(set) var closed: [ClosedSegment] = []
    /// A whole, durable segment whose manifest entry failed: tried once more before the end entry.
    private var unsealed: ClosedSegment?

    init(folder: String, encoders: [Encoder], clock: SegmentClock, timeline: Timeline,
         observer: SessionObserver?, start: @escaping () -> SessionStart) {
        self.folder = folder; self.encoders = encoders; self.clock = clock
        self.timeline = timeline; self.observer = observer; self.start = start
        playlist = Playlist(folder: folder, targetSeconds: Int(clock.segmentNanos / 1_000_000_000))
        trackSegment = Array(repeating: -1, count: encoders.count)
        lastArrival = Array(repeating: MonotonicClock.now(), count: encoders.count)
        ended = Array(repeating: nil, count: encoders.count)
    }

    /// Consumes the queue until every track has ended. Throws on a write failure; the caller stops
    /// capture and calls `finish` to record how the session ended.
    func run(_ input: BoundedQueue<MuxItem>) throws {
        while ended.contains(where: { $0 == nil }), let item = input.take() {
            switch item {
            case let .packet(track, packet, timeBase):
                try ensureStarted()
                var index = clock.index(of: packet.pts, timeBase: timeBase)
                // Audio that runs a little past the stop instant stays in the last segment.
                if let stop = timeline.stopTime { index = min(index, clock.index(ofNanos: max(0, stop - 1))) }
                // A packet late for a segment already sealed (its track was silent) goes to the next one.
                index = max(index, trackSegment[track], closedThrough + 1)
                trackSegment[track] = index
                lastArrival[track] = MonotonicClock.now()
                let segment = try segment(index)
                try segment.writer.write(packet, stream: track, timeBase: timeBase)
                segment.file.syncIfDue()
                try closeSegmentsAllTracksPassed()
            case let .event(event):
                if started { try observer?.pipelineEvent(event) } else { earlyEvents.append(event) }
            case let .trackEnded(track, endNanos):
                ended[track] = endNanos
                try closeSegmentsAllTracksPassed()
            }
        }
    }

    /// Closes what is still open and records how the session ended. After a failed `run`
    /// (`afterWriteFailure`), open segments are not finished as if whole: each is closed as it is
    /// and salvaged like after a crash, keeping its complete fragments and claiming no more.
    func finish(reason: StopReason, message: String?, afterWriteFailure: Bool = false) throws {
        var firstError: Error?
        if !afterWriteFailure {
            for index in open.keys.sorted() {
                do { try close(index, last: true) } catch { firstError = error; break }
            }
        }
        if afterWriteFailure || firstError != nil {
            do { try salvageOpenSegments() } catch { firstError = firstError ?? error }
        }
        let duration = closedEnd
        if started {
            playlist.writeFinal(closed)
            try observer?.sessionEnded(SessionEnd(reason: firstError == nil ? reason : .error, durationNanos: duration,
                                                  segmentCount: closed.count, message: firstError.map { "\($0)" } ?? message))
        }
        if let firstError { throw firstError }
    }

    private func ensureStarted() throws {
        guard !started else { return }
        started = true
        try observer?.sessionStarted(start())
        for e in earlyEvents { try observer?.pipelineEvent(e) }
        earlyEvents = []
    }

    private func segment(_ index: Int) throws -> OpenSegment {
        if let s = open[index] { return s }
        let file = try SegmentFile(folder: folder, name: SegmentMuxer.fileName(index))
        let writer = try FormatWriter(format: "mp4", sink: file)
        for e in encoders { try writer.addStream(for: e) }
        try writer.writeHeader(options: SegmentMuxer.muxerOptions)
        try writer.flush()
        let s = OpenSegment(index: index, file: file, writer: writer, initLength: file.length)
        open[index] = s
        return s
    }

    static func fileName(_ index: Int) -> String { String(format: "seg-%05d.mp4", index) }

    /// Where the last sealed segment ends on the timeline.
    private var closedEnd: Int64 { closed.last.map { $0.startNanos + $0.durationNanos } ?? 0 }

    private func salvageOpenSegments() throws {
        if let segment = unsealed {
            unsealed = nil
            try observer?.segmentClosed(segment)
            closed.append(segment)
        }
        let indices = open.keys.sorted()
        for s in open.values {
            // A segment whose own writes did not fail still holds its current fragment in the
            // muxer's memory: write it out (it may fail too, on a full disk) before cutting back.
            if !s.file.failed { try? s.writer.finish() }
            s.file.abandon()
        }
        open = [:]
        let anchor = timeline.utcAnchor ?? Date()
        for index in indices {
            closedThrough = max(closedThrough, index)
            // Still `.partial`, unless the failure came after its rename.
            let name = SegmentMuxer.fileName(index)
            let partial = FileManager.default.fileExists(atPath: folder + "/" + name + SegmentFile.partialSuffix)
            guard let kept = try SalvagedSegment.salvage(folder: folder, name: partial ? name + SegmentFile.partialSuffix : name) else { continue }
            let start = Int64(index) * clock.segmentNanos
            let end = kept.mediaEndMicros * 1000
            guard end > start else { continue }
            let previousEnd = closedEnd
            if start > previousEnd {
                try observer?.pipelineEvent(.deviceGap(source: "recorder", startNanos: previousEnd, durationNanos: start - previousEnd,
                                                       reason: "media lost at the write failure"))
            }
            let segment = ClosedSegment(index: index, fileName: kept.fileName, byteLength: kept.byteLength, sha256Hex: kept.sha256.hex,
                                        startNanos: start, durationNanos: end - start,
                                        wallClockStart: anchor.addingTimeInterval(Double(start) / 1e9), initSectionLength: kept.initSectionLength)
            try observer?.segmentClosed(segment)
            closed.append(segment)
        }
    }

    private func closeSegmentsAllTracksPassed() throws {
        let now = MonotonicClock.now()
        func passed(_ t: Int, _ k: Int) -> Bool {
            if ended[t] != nil || trackSegment[t] > k { return true }
            // Silent for a while and the others have moved on: do not hold the record back.
            return now - lastArrival[t] > SegmentMuxer.idleNanos && trackSegment.indices.contains { $0 != t && trackSegment[$0] > k }
        }
        while let lowest = open.keys.min(), trackSegment.indices.allSatisfy({ passed($0, lowest) }) {
            let isLast = ended.allSatisfy { $0 != nil } && open.count == 1
            try close(lowest, last: isLast)
        }
    }

    private func close(_ index: Int, last: Bool) throws {
        guard let s = open[index] else { return }
        closedThrough = max(closedThrough, index)
        // Stays open (for salvage) until it is whole and durable.
        try s.writer.finish()
        let sha = try s.file.close()
        open[index] = nil
        let start = Int64(index) * clock.segmentNanos
        var end = start + clock.segmentNanos
        if last {
            // The session ends where its pictures end (or its sound, with no camera).
            let videoEnds = encoders.indices.filter { encoders[$0].kind == .video }.compactMap { ended[$0] }
            let ends = videoEnds.isEmpty ? ended.compactMap { $0 } : videoEnds
            end = max(start, min(end, ends.max() ?? end))
        }
        let anchor = timeline.utcAnchor ?? Date()
        let closedSegment = ClosedSegment(index: index, fileName: s.file.finalName, byteLength: s.file.length, sha256Hex: sha,
                                          startNanos: start, durationNanos: end - start,
                                          wallClockStart: anchor.addingTimeInterval(Double(start) / 1e9),
                                          initSectionLength: s.initLength)
        // Counted as closed only once its entry is sealed: the end entry must not claim more.
        do { try observer?.segmentClosed(closedSegment) } catch { unsealed = closedSegment; throw error }
        closed.append(closedSegment)
        try playlist.write(closed, ended: false)
    }
}
