import Foundation
import SealrecAV
import SealrecCrypto
import SealrecFormat
import SealrecPipeline
import SealrecSeal

/// After a crash, power cut or watchdog kill: closes a session whose manifest has no `end` entry.
/// Sealed segments are never touched. A segment that was complete but not yet sealed is sealed; a
/// segment that was being written keeps its complete fragments and loses only the one in progress;
/// the session is closed as interrupted, with the time of its last good media.
public enum SessionRecovery {
    public struct Outcome: Sendable {
        public let folder: String
        public let salvaged: [String]
        public let lastGoodMicros: Int64
        public let utcAnchor: Date?
        /// UTC instant of the last good media.
        public var lastGoodUTC: Date? { utcAnchor.map { $0.addingTimeInterval(Double(lastGoodMicros) / 1e6) } }
    }

    /// Whether a session folder's manifest lacks its closing entry: its last line, read by the
    /// signed-line rules, is not an `end` entry, or a torn line follows it. No manifest: not a session.
    public static func isUnclosed(_ folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: folder + "/" + SessionFiles.manifest) else { return false }
        let (lines, torn) = SignedLine.lines(of: Array(data))
        guard torn == nil, let last = lines.last(where: { !$0.isEmpty }) else { return true }
        return (try? SignedLine(last))?["type"]?.stringValue != "end"
    }

    public static func recover(folder: String, key: RoomKey) throws -> Outcome {
        let writer = try ManifestWriter.resume(folder: URL(fileURLWithPath: folder), key: key)
        let manifest = try ManifestSummary(folder: folder)
        let segmentMicros = manifest.segmentDurationMicros
        var end = writer.timelineEndMicros
        var salvaged: [String] = []
        let names = (try FileManager.default.contentsOfDirectory(atPath: folder)).sorted()
        // Unsealed whole files first (crash between rename and manifest write), then partial ones, in index order.
        var candidates: [(index: Int, name: String, partial: Bool)] = []
        for name in names {
            guard name.hasPrefix("seg-"), let index = Int(name.dropFirst(4).prefix(5)) else { continue }
            if name.hasSuffix(".mp4"), !manifest.files.contains(name) { candidates.append((index, name, false)) }
            if name.hasSuffix(".mp4.partial") { candidates.append((index, name, true)) }
        }
        for c in candidates.sorted(by: { $0.index < $1.index }) {
            // Nothing decodable: left as found (a .partial), unlisted.
            guard let kept = try SalvagedSegment.salvage(folder: folder, name: c.name) else { continue }
            let start = Int64(c.index) * segmentMicros
            guard kept.mediaEndMicros > start else { continue }
            if start > end + manifest.frameDurationMicros {
                // Fragments lost between two salvaged segments: a hole the record must declare.
                try writer.appendEvent(EventRecord(kind: .other, atMicros: end, source: "recovery",
                                                   details: "media lost in the crash before \(kept.fileName)",
                                                   gap: DeclaredGap(startMicros: end, durationMicros: start - end)))
            }
            try writer.appendSegment(SegmentRecord(fileName: kept.fileName, byteLength: kept.byteLength, sha256: kept.sha256,
                                                   startMicros: start, durationMicros: kept.mediaEndMicros - start,
                                                   wallClockStart: (manifest.utcAnchor ?? Date()).addingTimeInterval(Double(start) / 1e6)))
            end = kept.mediaEndMicros
            salvaged.append(kept.fileName)
        }
        try writer.close(reason: .interrupted, lastGoodMicros: end)
        do { try rewritePlaylist(folder: folder, segmentMicros: segmentMicros) } catch {
            // The crash left a playlist without its end mark: kept, it would fail an intact record.
            unlink(folder + "/" + SessionFiles.playlist)
        }
        return Outcome(folder: folder, salvaged: salvaged, lastGoodMicros: end, utcAnchor: manifest.utcAnchor)
    }

    /// The playlist again, from the (now closed) manifest, with its end mark.
    static func rewritePlaylist(folder: String, segmentMicros: Int64) throws {
        let manifest = try ManifestSummary(folder: folder)
        let segments = try manifest.segments.enumerated().map { i, s in
            // Times past ±292 years in nanoseconds are no recording of ours: refused, not a trap.
            let start = s.startMicros.multipliedReportingOverflow(by: 1000), duration = s.durationMicros.multipliedReportingOverflow(by: 1000)
            guard !start.overflow, !duration.overflow else {
                throw ConfigError("segment \(SafeText.escape(s.file)) in \(folder) has a start or duration out of range; playlist not rewritten")
            }
            return ClosedSegment(index: i, fileName: s.file, byteLength: s.bytes, sha256Hex: s.sha256,
                          startNanos: start.partialValue, durationNanos: duration.partialValue,
                          wallClockStart: (manifest.utcAnchor ?? Date()).addingTimeInterval(Double(s.startMicros) / 1e6),
                          initSectionLength: Int64(try FragmentScanner(path: folder + "/" + s.file).initLength ?? 0))
        }
        Playlist(folder: folder, targetSeconds: Int(segmentMicros / 1_000_000)).writeFinal(segments)
    }
}

/// What recovery needs from a manifest's lines (read by the signed-line rules, signatures unchecked:
/// `ManifestWriter.resume` has checked the chain, and the verifier is the judge of validity).
struct ManifestSummary {
    struct Segment { let file: String; let bytes: Int64; let sha256: String; let startMicros: Int64; let durationMicros: Int64 }
    var files: Set<String> = []
    var segments: [Segment] = []
    var utcAnchor: Date?
    var segmentDurationMicros: Int64 = 4_000_000
    var frameDurationMicros: Int64 = 40_000

    init(folder: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + SessionFiles.manifest))
        for raw in SignedLine.lines(of: Array(data)).complete {
            guard let o = try? SignedLine(raw) else { continue }
            switch o["type"]?.stringValue {
            case "session":
                if let a = o["utc_anchor"]?.stringValue { utcAnchor = RFC3339.parseMicroseconds(a).map(RFC3339.date(microseconds:)) }
                if let s = o["segment_duration_us"]?.int64 { segmentDurationMicros = s }
                if let f = o["frame_duration_us"]?.int64 { frameDurationMicros = f }
            case "segment":
                if let f = o["file"]?.stringValue {
                    files.insert(f)
                    segments.append(Segment(file: f, bytes: o["bytes"]?.int64 ?? 0, sha256: o["sha256"]?.stringValue ?? "",
                                            startMicros: o["start_us"]?.int64 ?? 0, durationMicros: o["duration_us"]?.int64 ?? 0))
                }
            default: break
            }
        }
    }
}
