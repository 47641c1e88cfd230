import Foundation
import Testing
import SealrecAV
import TestSupport

/// A segment cut short (a crash, a power cut) must still play up to its last complete fragment.
@Suite struct TruncationTests {
    @Test func segmentsAreFragmentsOfAtMostOneSecond() throws {
        for path in Recording.oneByOne.segmentPaths {
            let boxes = Boxes.topLevel(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(boxes.prefix(2).map(\.type) == ["ftyp", "moov"])
            // 4 s in half-second fragments.
            #expect(boxes.filter { $0.type == "moof" }.count == 8, "\(path): \(boxes.map(\.type))")
        }
    }

    @Test func truncatedSegmentDecodesUpToItsLastCompleteFragment() throws {
        let source = Recording.oneByOne.segmentPaths[1]
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let boxes = Boxes.topLevel(bytes)
        let moofs = boxes.filter { $0.type == "moof" }
        let scratch = Scratch("trunc")
        defer { scratch.remove() }
        var rng = SystemRandomNumberGenerator()
        // Arbitrary cut points anywhere after the init section, plus the edges of each fragment.
        var cuts = (0..<12).map { _ in Int.random(in: moofs[0].offset..<bytes.count, using: &rng) }
        cuts += moofs.map(\.offset) + moofs.map { $0.offset + 9 }
        for cut in cuts {
            let path = scratch.file("cut-\(cut).mp4")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<cut])))
            // A fragment is complete when its moof and the mdat after it are both whole.
            let complete = boxes.enumerated().filter { i, b in
                b.type == "moof" && i + 1 < boxes.count && boxes[i + 1].offset + boxes[i + 1].size <= cut
            }.count
            var frames = 0
            do {
                let reader = try MediaReader(path: path)
                try reader.decode(stream: 0) { _, _ in frames += 1 }
            } catch {
                // The damaged tail may raise an error; what counts is what decoded before it.
            }
            #expect(frames >= complete * 12, "cut at \(cut): \(frames) frames from \(complete) complete fragments")
            // And the same by ffprobe's own count, a tool that shares none of our code.
            let probe = try Run.tool("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                 "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
            let counted = Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(counted >= complete * 12, "cut at \(cut): ffprobe decoded \(counted) frames, \(probe.stderr)")
        }
    }
}
