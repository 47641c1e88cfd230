import Foundation
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

    func render(_ segments: [ClosedSegment], ended: Bool) -> String {
        let target = max(targetSeconds, Int((segments.map { Double($0.durationNanos) / 1e9 }.max() ?? 0).rounded(.up)))
        var lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)",
                     "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-INDEPENDENT-SEGMENTS"]
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var previousEnd: Int64?
        for s in segments {
            if let previousEnd, previousEnd != s.startNanos { lines.append("#EXT-X-DISCONTINUITY") }
            lines.append("#EXT-X-MAP:URI=\"\(s.fileName)\",BYTERANGE=\"\(s.initSectionLength)@0\"")
            lines.append("#EXT-X-PROGRAM-DATE-TIME:\(iso.string(from: s.wallClockStart))")
            lines.append(String(format: "#EXTINF:%.6f,", Double(s.durationNanos) / 1e9))
            lines.append("#EXT-X-BYTERANGE:\(s.byteLength - s.initSectionLength)@\(s.initSectionLength)")
            lines.append(s.fileName)
            previousEnd = s.startNanos + s.durationNanos
        }
        if ended { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    public func write(_ segments: [ClosedSegment], ended: Bool) throws {
        try Posix.writeFileAtomically(Data(render(segments, ended: ended).utf8), to: path)
    }

    /// The final playlist, or none: if it cannot be written (a failing disk), the last one written
    /// is removed, since it lacks the end mark and maybe the last segments, and the verifier rightly
    /// refuses a playlist that does not play the whole record. No playlist is no claim; the manifest
    /// is the record, and every segment still plays on its own.
    public func writeFinal(_ segments: [ClosedSegment]) {
        do { try write(segments, ended: true) } catch { unlink(path) }
    }
}
