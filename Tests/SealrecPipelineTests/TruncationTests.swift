import Foundation
import Testing
import SealrecAV
import SealrecPipeline
import TestSupport

/// A segment cut short (a crash, a power cut) must still play up to its last complete fragment.
@Suite struct TruncationTests {
    /// Frames of the first video stream: decoded by us (FFmpeg's libraries) and counted by ffprobe.
    private func framesDecoded(_ path: String) -> (opened: Bool, ours: Int, ffprobe: Int) {
        var frames = 0
        var opened = false
        do {
            let reader = try MediaReader(path: path)
            opened = true
            try reader.decode(stream: 0) { _, _ in frames += 1 }
        } catch {
            // The damaged tail may raise an error; what counts is what decoded before it.
        }
        let probe = try? Run.tool("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                              "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        return (opened, frames, Int(probe?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0)
    }

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
        cuts += moofs.map(\.offset) + moofs.map { $0.offset + 9 } + moofs.map { $0.offset + $0.size - 7 }
        for cut in cuts {
            let path = scratch.file("cut-\(cut).mp4")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<cut])))
            // A fragment is complete when its moof and the mdat after it are both whole.
            let complete = boxes.enumerated().filter { i, b in
                b.type == "moof" && i + 1 < boxes.count && boxes[i + 1].offset + boxes[i + 1].size <= cut
            }.count
            // As cut, and as crash recovery leaves it (cut back to its last complete fragment).
            let asCut = framesDecoded(path)
            let scan = try FragmentScanner(path: path)
            #expect(scan.completeFragments == complete, "cut at \(cut): scanner found \(scan.completeFragments) of \(complete)")
            let salvaged = scratch.file("salvaged-\(cut).mp4")
            #expect(FileManager.default.createFile(atPath: salvaged, contents: Data(bytes[0..<scan.completeLength])))
            let afterRecovery = framesDecoded(salvaged)
            #expect(afterRecovery.ours >= complete * 12 && afterRecovery.ffprobe >= complete * 12,
                    "cut at \(cut), cut back to \(scan.completeLength): \(afterRecovery) frames from \(complete) complete fragments")
            // FFmpeg 5.1 refuses a whole file whose last moof is cut inside its sample table ("error
            // reading header"); anywhere else the file plays as cut, up to its last complete fragment.
            if asCut.opened {
                #expect(asCut.ours >= complete * 12 && asCut.ffprobe >= complete * 12, "cut at \(cut): \(asCut) frames from \(complete) complete fragments")
            } else {
                let inside = boxes.first { $0.offset <= cut && cut < $0.offset + $0.size }
                #expect(inside?.type == "moof", "cut at \(cut) in \(inside?.type ?? "?") made the file unreadable")
            }
        }
    }
}
