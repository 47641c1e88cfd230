import Foundation
@testable import SealrecPipeline
import Testing

/// The playlist is rewritten after every segment from what it rendered before: the text must be
/// exactly what rendering the whole list afresh gives.
@Suite struct PlaylistTests {
    static func segment(_ index: Int, start: Double, seconds: Double, name: String? = nil) -> ClosedSegment {
        ClosedSegment(index: index, fileName: name ?? String(format: "seg-%05d.mp4", index), byteLength: 10_000 + Int64(index),
                      sha256Hex: String(repeating: "0", count: 64), startNanos: Int64(start * 1e9), durationNanos: Int64(seconds * 1e9),
                      wallClockStart: Date(timeIntervalSince1970: 1_800_000_000 + start), initSectionLength: 900)
    }

    @Test func renderingSegmentBySegmentGivesTheWholeListsText() {
        // A hole before the third (a discontinuity) and a fourth longer than the target.
        let segments = [Self.segment(0, start: 0, seconds: 4), Self.segment(1, start: 4, seconds: 4),
                        Self.segment(2, start: 9, seconds: 4), Self.segment(3, start: 13, seconds: 5.5)]
        let playlist = Playlist(folder: "/unused", targetSeconds: 4)
        for n in 0...segments.count {
            let list = Array(segments.prefix(n))
            #expect(playlist.render(list, ended: false) == Playlist(folder: "/unused", targetSeconds: 4).render(list, ended: false), "\(n) segments")
        }
        let text = playlist.render(segments, ended: true)
        #expect(text.contains("#EXT-X-TARGETDURATION:6\n") && text.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(text.components(separatedBy: "#EXT-X-DISCONTINUITY").count == 2)
        // Another list (not a continuation): rendered afresh, nothing of the old one kept.
        let other = [Self.segment(0, start: 0, seconds: 4, name: "seg-00000-other.mp4"), Self.segment(1, start: 4, seconds: 4)]
        #expect(playlist.render(other, ended: false) == Playlist(folder: "/unused", targetSeconds: 4).render(other, ended: false))
        #expect(!playlist.render(other, ended: false).contains("seg-00000.mp4"))
        #expect(playlist.render([segments[0]], ended: false) == Playlist(folder: "/unused", targetSeconds: 4).render([segments[0]], ended: false))
    }
}
