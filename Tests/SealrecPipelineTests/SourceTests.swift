import Foundation
import Testing
import SealrecPipeline
import TestSupport
import SealrecSystem

@Suite struct SourceTests {
    /// The same raw bytes go to sealrec and to ffmpeg: the recording must hold every picture, at
    /// the quality the encoder settings give, and the whole of the audio.
    @Test func rawFilesRecordFrameForFrame() throws {
        let dir = Scratch("raw")
        defer { dir.remove() }
        let yuv = dir.file("in.yuv"), pcm = dir.file("in.pcm")
        #expect(try Run.tool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3",
                                         "-f", "rawvideo", "-pix_fmt", "yuyv422", yuv]).status == 0)
        #expect(try Run.tool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000", "-t", "3",
                                         "-ac", "2", "-f", "s16le", pcm]).status == 0)
        var config = RoomConfig()
        config.segmentSeconds = 2
        config.cameras[0].source = .raw; config.cameras[0].path = yuv; config.cameras[0].pixelFormat = "yuyv422"
        config.cameras[0].width = 320; config.cameras[0].height = 240
        config.microphones[0].source = .raw; config.microphones[0].path = pcm; config.microphones[0].sampleFormat = "s16"
        config.microphones[0].channels = 2
        let folder = dir.file("session")
        let session = try RecordingSession(config: config, folder: folder, options: .init(fast: true))
        session.start()
        let result = session.wait()
        #expect(result.reason == .stopped && result.failure == nil)
        #expect(result.segments.count == 2)
        #expect(abs(result.durationSeconds - 3) < 1e-9)
        let playlist = folder + "/index.m3u8"
        let counted = try Run.tool("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", playlist])
        #expect(counted.stdout.split(separator: "\n").first.map(String.init) == "75")
        // Side by side with the input: ffmpeg's psnr filter compares our decoded pictures to the raw file.
        let psnr = try Run.tool("ffmpeg", ["-v", "info", "-i", playlist, "-f", "rawvideo", "-pix_fmt", "yuyv422",
                                           "-s", "320x240", "-r", "25", "-i", yuv, "-lavfi", "[0:v][1:v]psnr", "-f", "null", "-"])
        let average = psnr.stderr.range(of: #"average:([0-9.]+)"#, options: .regularExpression)
            .flatMap { Double(psnr.stderr[$0].dropFirst("average:".count)) }
        #expect((average ?? 0) > 30, "PSNR: \(psnr.stderr.suffix(300))")
        let audio = try Probe.packets(playlist).filter { $0.stream == 1 }
        let end = (audio.map { $0.pts + ($0.duration ?? 0) }.max() ?? 0)
        #expect(abs(end - 3) < 0.03, "audio ends at \(end)")
    }

    @Test func rawFileOfTheWrongSizeIsRefusedBeforeAnythingIsWritten() throws {
        let dir = Scratch("rawbad")
        defer { dir.remove() }
        let yuv = dir.file("bad.yuv")
        #expect(FileManager.default.createFile(atPath: yuv, contents: Data(count: 320 * 240 * 2 * 3 + 17)))
        var config = RoomConfig()
        config.cameras[0].source = .raw; config.cameras[0].path = yuv; config.cameras[0].pixelFormat = "yuyv422"
        config.cameras[0].width = 320; config.cameras[0].height = 240
        #expect {
            _ = try RecordingSession(config: config, folder: dir.file("session"))
        } throws: { "\($0)".contains("not a whole number of 320x240 yuyv422 pictures") }
        #expect(!FileManager.default.fileExists(atPath: dir.file("session")))
    }

    /// Paced (real-time) capture: the default mode in a room. Short, but through the same sleep path.
    @Test func realTimeRecordingKeepsSync() throws {
        var config = RoomConfig()
        config.cameras[0].width = 320; config.cameras[0].height = 240
        config.segmentSeconds = 1
        let started = MonotonicClock.now()
        let rec = try Recording.make(config, seconds: 2.5, label: "paced", fast: false)
        let elapsed = Double(MonotonicClock.now() - started) / 1e9
        #expect(elapsed >= 2.4, "a paced recording of 2.5 s took \(elapsed) s")
        #expect(rec.segments.count == 3)
        #expect(rec.events.isEmpty, "\(rec.events)")
        let playlist = rec.folder + "/index.m3u8"
        let flashes = try SyncAnalysis.flashTimes(playlist, stream: 0)
        let beeps = try SyncAnalysis.beepTimes(playlist, stream: 1, beepSeconds: 0.04)
        #expect(flashes.count == 3)
        #expect(SyncAnalysis.offsets(flashes: flashes, beeps: beeps).allSatisfy { abs($0) <= 0.010 })
    }
}
