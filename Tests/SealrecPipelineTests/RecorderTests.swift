import Foundation
import Testing
import SealrecPipeline
import SealrecSeal
import TestSupport

@Suite struct RecorderTests {
    @Test func oneCameraOneMicrophoneSegmentsAreWholeAndPlayable() throws {
        let rec = Recording.oneByOne
        #expect(rec.reason == .stopped)
        #expect(rec.verification.verdict == .verified, "\(rec.verification.text())")
        #expect(rec.segments.map(\.fileName) == ["seg-00000.mp4", "seg-00001.mp4", "seg-00002.mp4"])
        for path in rec.segmentPaths {
            let decode = try Probe.decodeErrors(path)
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(path): \(decode.stderr)")
            let probe = try Probe(path)
            #expect(probe.streams.count == 2)
            let v = try #require(probe.streams.first { $0.codecType == "video" })
            #expect(v.codecName == "h264" && v.width == 1280 && v.height == 720 && v.frameRate == "25/1")
            let a = try #require(probe.streams.first { $0.codecType == "audio" })
            #expect(a.codecName == "aac" && a.sampleRate == 48_000 && a.channels == 1)
        }
        // No file is left under a temporary name.
        let names = try FileManager.default.contentsOfDirectory(atPath: rec.folder)
        #expect(!names.contains { $0.hasSuffix(".partial") || $0.hasSuffix(".tmp") })
    }

    @Test func totalDurationIsTwelveSecondsWithinOneFrame() throws {
        let rec = Recording.oneByOne
        let total = Double(rec.segments.last!.startNanos + rec.segments.last!.durationNanos) / 1e9
        #expect(abs(total - 12) <= 0.04)
        let videoPackets = try rec.segmentPaths.flatMap { try Probe.packets($0).filter { $0.stream == 0 } }
        #expect(videoPackets.count == 300)
        let last = try #require(videoPackets.max { $0.pts < $1.pts })
        #expect(abs(last.pts + 0.04 - 12) <= 0.04)
    }

    @Test(arguments: ["1x1", "2x2"])
    func consecutiveSegmentsNeitherGapNorOverlap(_ which: String) throws {
        let rec = which == "1x1" ? Recording.oneByOne : Recording.twoByTwo
        let perSegment = try rec.segmentPaths.map { try Probe.packets($0) }
        let streams = Set(perSegment.flatMap { $0.map(\.stream) })
        for s in streams {
            for k in 1..<perSegment.count {
                let before = perSegment[k - 1].filter { $0.stream == s }.sorted { $0.pts < $1.pts }
                let after = perSegment[k].filter { $0.stream == s }.sorted { $0.pts < $1.pts }
                let prev = try #require(before.last), next = try #require(after.first)
                // A track's step is its packet duration: one video frame or one audio frame.
                let step = zip(before, before.dropFirst()).map { $1.pts - $0.pts }.min() ?? 0.04
                let end = prev.pts + step
                #expect(abs(next.pts - end) <= step + 1e-6, "stream \(s) segment \(k): ends \(end), next starts \(next.pts)")
            }
        }
        // Segment records tile the timeline exactly.
        for (a, b) in zip(rec.segments, rec.segments.dropFirst()) { #expect(a.startNanos + a.durationNanos == b.startNanos) }
    }

    @Test func twoCamerasTwoMicrophonesAreFourTracksInEverySegment() throws {
        let rec = Recording.twoByTwo
        #expect(rec.segments.count == 3)
        for path in rec.segmentPaths {
            let decode = try Probe.decodeErrors(path)
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(path): \(decode.stderr)")
            let p = try Probe(path)
            #expect(p.streams.map(\.codecType) == ["video", "video", "audio", "audio"])
            #expect(p.streams[0].width == 640 && p.streams[0].height == 360)
            #expect(p.streams[1].width == 320 && p.streams[1].height == 240)
            #expect(p.streams[2].channels == 1 && p.streams[3].channels == 2)
            #expect(p.streams[2].sampleRate == 48_000 && p.streams[3].sampleRate == 48_000)
        }
    }

    @Test(arguments: ["1x1", "2x2"])
    func playlistPlaysTheWholeSession(_ which: String) throws {
        let rec = which == "1x1" ? Recording.oneByOne : Recording.twoByTwo
        let playlist = rec.folder + "/index.m3u8"
        let text = try String(contentsOfFile: playlist, encoding: .utf8)
        #expect(text.hasSuffix("#EXT-X-ENDLIST\n"))
        let strict = try Probe.decodeErrors(playlist, strict: true)
        #expect(strict.status == 0, "\(strict.stderr)")
        let counted = try Run.tool("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", playlist])
        // HLS input lists each stream under its program too: every line must say 300.
        let counts = counted.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(!counts.isEmpty && counts.allSatisfy { $0 == "300" }, "\(counted.stdout)")
    }

    @Test(arguments: ["1x1", "2x2"])
    func audioAndVideoStayInSyncWithinTenMilliseconds(_ which: String) throws {
        let rec = which == "1x1" ? Recording.oneByOne : Recording.twoByTwo
        let probe = try Probe(rec.segmentPaths[0])
        let videoStreams = probe.streams.filter { $0.codecType == "video" }.map(\.index)
        let audioStreams = probe.streams.filter { $0.codecType == "audio" }.map(\.index)
        // Each segment on its own (as a reviewer might open one), then the whole session.
        for path in rec.segmentPaths + [rec.folder + "/index.m3u8"] {
            for v in videoStreams {
                let flashes = try SyncAnalysis.flashTimes(path, stream: v)
                #expect(flashes.count >= 4, "\(path) stream \(v): \(flashes)")
                for a in audioStreams {
                    let beeps = try SyncAnalysis.beepTimes(path, stream: a, beepSeconds: 0.04)
                    let offsets = SyncAnalysis.offsets(flashes: flashes, beeps: beeps)
                    #expect(offsets.count == flashes.count)
                    #expect(offsets.allSatisfy { abs($0) <= 0.010 }, "\(path) v\(v)/a\(a) offsets \(offsets)")
                }
            }
        }
    }
}
