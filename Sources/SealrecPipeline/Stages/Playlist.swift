import Foundation
import SealrecSystem
import SealrecFormat

/// The session's HLS playlist. Each segment is a self-contained fMP4 file, so each gets its own
/// EXT-X-MAP pointing at its own init section (a byte range of the same file) and a byte range for
/// its media; ordinary HLS players then play the whole session as one timeline.
public struct Playlist {
    let path: String
    let targetSeconds: Int

    public init(folder: String, targetSeconds: Int) {
        path = folder + "/" + SessionFiles.playlist
        self.targetSeconds = targetSeconds
    }

    /// Each segment's lines as rendered before. The playlist is rewritten after every segment;
    /// rendering every segment again each time made a segment's cost grow with the session
    /// (about 0.1 s per segment after 8 hours, dates being slow to format).
    private let rendered = RenderedSegments()

    func render(_ segments: [ClosedSegment], ended: Bool) -> String {
        String(decoding: bytes(segments, ended: ended), as: UTF8.self)
    }

    /// The playlist's text: the header, the segments' lines (kept from earlier calls), the end mark.
    func bytes(_ segments: [ClosedSegment], ended: Bool) -> [UInt8] {
        rendered.update(segments)
        let target = max(targetSeconds, Int(rendered.longestSeconds.rounded(.up)))
        var text = Array(["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
                          "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-INDEPENDENT-SEGMENTS", ""].joined(separator: "\n").utf8)
        text.reserveCapacity(text.count + rendered.lines.count + 16)
        text += rendered.lines
        if ended { text += Array("#EXT-X-ENDLIST\n".utf8) }
        return text
    }

    public func write(_ segments: [ClosedSegment], ended: Bool) throws {
        try Files.writeAtomically(Data(bytes(segments, ended: ended)), to: path)
    }

    /// The final playlist, or none: if it cannot be written (a failing disk), the last one written
    /// is removed, since it lacks the end mark and maybe the last segments, and the verifier rightly
    /// refuses a playlist that does not play the whole record. No playlist is no claim; the manifest
    /// is the record, and every segment still plays on its own.
    public func writeFinal(_ segments: [ClosedSegment]) {
        do { try write(segments, ended: true) } catch { unlink(path) }
    }
}

/// The playlist lines of the segments rendered so far, each ending in "\n"; a list that is not
/// a continuation of them (another session's, in a test) is rendered afresh.
private final class RenderedSegments {
    private(set) var lines: [UInt8] = []
    private(set) var longestSeconds = 0.0
    /// How many segments are rendered, and the last of them (name, start, length).
    private var count = 0
    private var last: (String, Int64, Int64)?
    private var previousEnd: Int64?

    func update(_ segments: [ClosedSegment]) {
        let continues = count <= segments.count && (count == 0 || {
            let s = segments[count - 1]
            return last.map { $0 == (s.fileName, s.startNanos, s.byteLength) } ?? false
        }())
        if !continues {
            lines = []; count = 0; last = nil; previousEnd = nil; longestSeconds = 0
        }
        for s in segments[count...] {
            var added: [String] = []
            if let previousEnd, previousEnd != s.startNanos { added.append("#EXT-X-DISCONTINUITY") }
            added.append("#EXT-X-MAP:URI=\"\(s.fileName)\",BYTERANGE=\"\(s.initSectionLength)@0\"")
            added.append("#EXT-X-PROGRAM-DATE-TIME:\(RFC3339.format(s.wallClockStart))")
            added.append(String(format: "#EXTINF:%.6f,", Double(s.durationNanos) / 1e9))
            added.append("#EXT-X-BYTERANGE:\(s.byteLength - s.initSectionLength)@\(s.initSectionLength)")
            added.append(s.fileName)
            lines += Array((added.joined(separator: "\n") + "\n").utf8)
            previousEnd = s.startNanos + s.durationNanos
            longestSeconds = max(longestSeconds, Double(s.durationNanos) / 1e9)
            count += 1
            last = (s.fileName, s.startNanos, s.byteLength)
        }
    }
}
