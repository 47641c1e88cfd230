import Foundation
import Testing
import SealrecAV
import SealrecPipeline
import SealrecSeal
import TestSupport

/// The room picture, decoded and checked by its pixels (no OCR).
@Suite struct CompositeTests {
    /// Main: a raw uniform grey camera (so the text line's background never changes); inset: the
    /// synthetic camera "room", which stops after 2.5 s. 6 s, UTC, composite 640x360.
    static let recording: (rec: Recording, anchor: Double) = {
        let dir = Scratch("grey").path
        let grey = dir + "/grey.yuv"
        let r = try! Run.tool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=25", "-t", "6",
                                          "-f", "rawvideo", "-pix_fmt", "yuv420p", grey])
        precondition(r.status == 0, r.stderr)
        var c = RoomConfig()
        var main = RoomConfig.Camera(); main.name = "suspect"; main.source = .raw; main.path = grey; main.pixelFormat = "yuv420p"
        main.width = 320; main.height = 240
        var room = RoomConfig.Camera(); room.name = "room"; room.width = 320; room.height = 240; room.failAfterSeconds = 2.5
        c.cameras = [main, room]
        c.video.preset = "ultrafast"
        var comp = RoomConfig.Composite()
        comp.width = 640; comp.height = 360; comp.main = "suspect"; comp.inset = "room"
        c.composite = comp
        c.segmentSeconds = 2
        let rec = try! Recording.make(c, seconds: 6, label: "composite")
        return (rec, rec.anchorSeconds)
    }()

    static var playlist: String { recording.rec.folder + "/index.m3u8" }

    /// Mean luma and chroma of a small block of a decoded frame.
    static func block(_ f: Frame, x: Int, y: Int, size: Int = 8) -> (Double, Double, Double) {
        var sums = [0.0, 0.0, 0.0]
        for plane in 0..<3 {
            let s = plane == 0 ? 1 : 2
            f.withPlane(plane) { bytes, stride, _ in
                var total = 0
                for row in (y / s)..<((y + size) / s) { for col in (x / s)..<((x + size) / s) { total += Int(bytes[row * stride + col]) } }
                sums[plane] = Double(total) / Double((size / s) * (size / s))
            }
        }
        return (sums[0], sums[1], sums[2])
    }

    static func frames(_ body: (Int, Frame) throws -> Void) throws {
        var n = 0
        try MediaReader(path: playlist).decode(stream: 0) { f, _ in try body(n, f); n += 1 }
    }

    @Test func compositeIsTheFirstTrackAndCamerasFollow() throws {
        let p = try Probe(Self.recording.rec.segmentPaths[0])
        #expect(p.streams.map(\.codecType) == ["video", "video", "video", "audio"])
        #expect(p.streams[0].width == 640 && p.streams[0].height == 360)
        #expect(p.streams[1].width == 320 && p.streams[2].width == 320)
    }

    @Test func mainShowsTheFirstCameraAndTheInsetTheSecondThenNoSignal() throws {
        // Inset (top-right, 212x120 inside a 4 px border, 16 px margin): the "room" camera's green, then its card.
        let comp = RoomConfig.Composite()
        var layout = comp; layout.width = 640; layout.height = 360; layout.inset = "room"
        let (ix, iy) = layout.insetOrigin
        // Above the synthetic camera's moving bar (its lower half) and below its burned-in text.
        let insetPoint = (ix + layout.border + 20, iy + layout.border + 30)
        var checked = 0
        try Self.frames { n, f in
            let main = Self.block(f, x: 200, y: 150)
            #expect(abs(main.0 - 126) < 12 && abs(main.1 - 128) < 8 && abs(main.2 - 128) < 8, "frame \(n) main \(main)")
            let inset = Self.block(f, x: insetPoint.0, y: insetPoint.1)
            let border = Self.block(f, x: ix, y: iy + 40, size: 2)
            #expect(border.0 > 200, "frame \(n): white border \(border)")
            if n % 25 == 0 { return }  // the synthetic camera's white flash frame
            if n < 60 {
                // Synthetic camera 2's green (Y 112, U 72, V 58).
                #expect(abs(inset.0 - 112) < 15 && abs(inset.1 - 72) < 12 && abs(inset.2 - 58) < 12, "frame \(n) inset \(inset)")
                checked += 1
            } else if n > 66 {
                // Gone at 2.5 s: a black card, not a frozen green picture.
                #expect(inset.0 < 30 && abs(inset.1 - 128) < 8, "frame \(n) inset \(inset)")
                checked += 1
            }
        }
        #expect(checked > 120)
    }

    @Test func theCameraGapIsAnEventInTheRecord() throws {
        let gap = Self.recording.rec.events.first { if case .sourceFailed(let s, _, _) = $0 { return s == "room" }; return false }
        let event = try #require(gap)
        if case let .sourceFailed(_, t, _) = event { #expect(abs(Double(t) / 1e9 - 2.46) < 0.05) }
        let manifest = try String(contentsOfFile: Self.recording.rec.folder + "/manifest.jsonl", encoding: .utf8)
        #expect(manifest.contains(#""kind":"device_gap""#) && manifest.contains(#""source":"room""#))
        #expect(Self.recording.rec.verification.verdict == .verified)
    }

    /// The text line's time changes exactly when the second of (UTC anchor + frame time) does:
    /// once per 25 frames, at the frames the anchor predicts, and nowhere else.
    @Test func burnedInTimeAdvancesOneSecondPerTwentyFiveFrames() throws {
        let anchor = Self.recording.anchor
        var previous: [UInt8]?
        var flips: [Int] = [], predicted: [Int] = []
        try Self.frames { n, f in
            let region = f.withPlane(0) { bytes, stride, _ -> [UInt8] in
                var out: [UInt8] = []
                for row in 318..<356 { out.append(contentsOf: bytes[(row * stride)..<(row * stride + 260)]) }
                return out
            }
            if let previous {
                // Pixels that changed a lot: a digit turning over, not compression noise.
                let changed = zip(previous, region).filter { abs(Int($0) - Int($1)) > 40 }.count
                if changed > 10 { flips.append(n) }
            }
            if n > 0, floor(anchor + Double(n) / 25) != floor(anchor + Double(n - 1) / 25) { predicted.append(n) }
            previous = region
        }
        #expect(predicted.count >= 5)
        #expect(flips == predicted, "text changed at \(flips), seconds turn at \(predicted)")
        #expect(zip(predicted, predicted.dropFirst()).allSatisfy { $1 - $0 == 25 })
    }

    /// Absolute: frame n's text matches a line rendered with the known time of frame n, and not the
    /// same line one second later.
    @Test func burnedInTimeIsTheFramesOwnTime() throws {
        let anchor = Self.recording.anchor
        var decoded: Frame?
        let n = 80
        try Self.frames { i, f in if i == n { decoded = f } }
        let frame = try #require(decoded)
        let background = Self.block(frame, x: 200, y: 150)
        func render(_ seconds: Double) throws -> Frame {
            var t = time_t(seconds.rounded(.down)); var tm = tm(); gmtime_r(&t, &tm)
            let stamp = String(format: "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
            let file = Scratch("ref").path + "/text.txt"
            try "\(stamp) UTC   Demo interview room".write(toFile: file, atomically: true, encoding: .utf8)
            let overlay = try TextOverlay(width: 640, height: 360, frameRate: 25, textFile: file, reload: false,
                                          style: .init(fontFile: RoomConfig.Composite().font, fontSize: 13, x: 13, bottomMargin: 13))
            let pool = try FramePool(width: 640, height: 360, format: .yuv420p)
            let canvas = try pool.frame()
            for p in 0..<3 {
                canvas.withPlane(p) { bytes, _, _ in bytes.update(repeating: UInt8((p == 0 ? background.0 : p == 1 ? background.1 : background.2).rounded())) }
            }
            canvas.pts = 0
            return try overlay.apply(canvas)
        }
        func difference(_ a: Frame, _ b: Frame) -> Double {
            a.withPlane(0) { x, xs, _ in b.withPlane(0) { y, ys, _ in
                var total = 0
                for row in 318..<356 { for col in 0..<260 { total += abs(Int(x[row * xs + col]) - Int(y[row * ys + col])) } }
                return Double(total) / Double(38 * 260)
            } }
        }
        let right = difference(frame, try render(anchor + Double(n) / 25))
        let wrong = difference(frame, try render(anchor + Double(n) / 25 + 1))
        #expect(right < 4 && wrong > right * 1.5, "difference to the right time \(right), to one second later \(wrong)")
    }
}

/// Readings from a configured file (e.g. temperature and humidity) appear on the text line.
@Suite struct CompositeReadingsTests {
    @Test func readingsFileIsShownAfterTheRoomName() throws {
        func textPixels(readings: String?) throws -> Int {
            var c = RoomConfig()
            c.cameras[0].width = 320; c.cameras[0].height = 240
            c.video.preset = "ultrafast"
            var comp = RoomConfig.Composite()
            comp.width = 640; comp.height = 360; comp.tracks = .composite
            if let readings {
                let file = Scratch("readings").path + "/readings.txt"
                try (readings + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                comp.readingsFile = file
            }
            c.composite = comp
            let rec = try Recording.make(c, seconds: 1, label: "readings")
            var bright = 0
            var n = 0
            try MediaReader(path: rec.segmentPaths[0]).decode(stream: 0) { f, _ in
                defer { n += 1 }
                guard n == 10 else { return }
                // Right of "UTC   Demo interview room": where the readings go.
                f.withPlane(0) { bytes, stride, _ in
                    for row in 330..<350 { for col in 400..<600 where bytes[row * stride + col] > 200 { bright += 1 } }
                }
            }
            return bright
        }
        let without = try textPixels(readings: nil)
        let with = try textPixels(readings: "21.5 C  45 %RH")
        #expect(with > without + 20, "text pixels right of the room name: \(without) without readings, \(with) with")
    }
}

extension Recording {
    /// The UTC anchor of the session in seconds since 1970, from its first segment's wall-clock start.
    var anchorSeconds: Double { segments[0].wallClockStart.timeIntervalSince1970 - Double(segments[0].startNanos) / 1e9 }
}
