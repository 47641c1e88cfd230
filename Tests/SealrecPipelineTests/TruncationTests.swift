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

    @Test func segmentsAreFragmentsOfAtMostAQuarterSecondPerTrack() throws {
        for path in Recording.oneByOne.segmentPaths {
            let boxes = Boxes.topLevel(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(boxes.prefix(2).map(\.type) == ["ftyp", "moov"])
            let all = try Probe.packets(path)
            let datas = boxes.filter { $0.type == "mdat" }
            // 4 s of two tracks in quarter-second fragments: at least 16.
            #expect(datas.count >= 16, "\(path): \(boxes.map(\.type))")
            #expect(all.allSatisfy { p in datas.contains { $0.offset <= p.pos && p.pos + p.size <= $0.offset + $0.size } })
            for data in datas {
                let inside = all.filter { data.offset <= $0.pos && $0.pos < data.offset + data.size }
                for stream in Set(inside.map(\.stream)) {
                    let track = inside.filter { $0.stream == stream }
                    let span = track.map(\.end).max()! - track.map(\.pts).min()!
                    // Cut once a track reaches 0.25 s: at most that plus the frame that reached it.
                    #expect(span <= 0.25 + 0.041, "\(path): fragment at \(data.offset), stream \(stream) spans \(span) s")
                }
            }
        }
    }

    @Test func truncatedSegmentDecodesUpToItsLastCompleteFragment() throws {
        let source = Recording.oneByOne.segmentPaths[1]
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let boxes = Boxes.topLevel(bytes)
        let moofs = boxes.filter { $0.type == "moof" }
        let video = try Probe.packets(source).filter { $0.stream == 0 }
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
            // Every picture whose bytes lie in a complete fragment, and no other.
            let kept = video.filter { $0.pos + $0.size <= scan.completeLength }.count
            #expect(afterRecovery.ours == kept && afterRecovery.ffprobe == kept,
                    "cut at \(cut), cut back to \(scan.completeLength): \(afterRecovery) frames, \(kept) in complete fragments")
            // FFmpeg 5.1 refuses a whole file whose last moof is cut inside its sample table ("error
            // reading header"); anywhere else the file plays as cut, up to its last complete fragment.
            if asCut.opened {
                let kept = video.filter { $0.pos + $0.size <= scan.completeLength }.count
                #expect(asCut.ours >= kept && asCut.ffprobe >= kept, "cut at \(cut): \(asCut) frames, \(kept) in complete fragments")
            } else {
                let inside = boxes.first { $0.offset <= cut && cut < $0.offset + $0.size }
                #expect(inside?.type == "moof", "cut at \(cut) in \(inside?.type ?? "?") made the file unreadable")
            }
        }
    }
}

/// What a crash would find on disk while one device is silent: the other track's media must be
/// there too, not held in memory until the silent one speaks again.
@Suite struct SilentTrackTests {
    @Test func aSilentCameraDoesNotHoldTheMicrophoneBack() throws {
        var c = RoomConfig()
        var cam = RoomConfig.Camera(); cam.width = 320; cam.height = 240; cam.failAfterSeconds = 1
        c.cameras = [cam]
        c.video.preset = "ultrafast"
        c.segmentSeconds = 10
        let scratch = Scratch("silent")
        defer { scratch.remove() }
        let folder = scratch.file("session")
        let session = try RecordingSession(config: c, folder: folder, options: .init(fast: false))
        session.start()
        Thread.sleep(forTimeInterval: 5)
        // As a crash now would leave it: the segment being written, cut back to its complete fragments.
        let partial = folder + "/seg-00000.mp4.partial"
        let scan = try FragmentScanner(path: partial)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: partial)).prefix(scan.completeLength)
        session.stop()
        _ = session.wait()
        let copy = scratch.file("as-found.mp4")
        #expect(FileManager.default.createFile(atPath: copy, contents: bytes))
        let packets = try Probe.packets(copy)
        let video = packets.filter { $0.stream == 0 }.map(\.pts).max() ?? 0
        let audio = packets.filter { $0.stream == 1 }.map(\.pts).max() ?? 0
        #expect(video < 1.5, "the camera stopped after 1 s: \(video)")
        // 5 s in: all but the fragment being written (a quarter second) and the encoder's frames.
        #expect(audio > 4.0, "sound on disk ends at \(audio) s after 5 s of recording")
    }
}
