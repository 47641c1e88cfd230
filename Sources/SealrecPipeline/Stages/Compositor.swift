import Foundation
import SealrecAV
import SealrecSystem

/// The room picture: on its own thread, at the composite's frame rate, takes the latest frame of
/// each configured camera (repeating a late camera's last frame; a camera that is gone becomes a
/// NO SIGNAL card, never a frozen picture), scales and places them by the layout, and burns in the
/// date and time of each output frame's own timeline timestamp, the room and the case.
final class Compositor: @unchecked Sendable {
    private struct Input {
        let name: String
        let queue: BoundedQueue<CapturedBuffer>
        var latest: CapturedBuffer?
        var pending: CapturedBuffer?
        var closed = false
    }

    private let layout: RoomConfig.Composite
    private var inputs: [Input]
    private let output: BoundedQueue<CapturedBuffer>
    private let timeline: Timeline
    private let paced: Bool
    private let roomName: String
    private let caseNumber: String?
    private let canvasPool: FramePool
    private let insetPool: FramePool?
    private var scalers: [String: Scaler] = [:]
    private var overlay: TextOverlay?
    private let textFile: String
    private var worker: Worker?
    private let cpuLock = NSLock()
    private var cpu: Int64 = 0
    private(set) var failure: Error?
    /// Told when composing fails, with the timeline time reached: the record must say so.
    var onFailure: (@Sendable (Error, Int64) -> Void)?
    private var reached: Int64 = 0
    /// A camera counts as gone when its newest frame is this old.
    static let goneAfterNanos: Int64 = 1_000_000_000
    /// In real time, how long an output frame waits for late cameras before repeating their last frame.
    static let latenessAllowanceNanos: Int64 = 150_000_000

    init(layout: RoomConfig.Composite, cameraQueues: [(String, BoundedQueue<CapturedBuffer>)], output: BoundedQueue<CapturedBuffer>,
         timeline: Timeline, paced: Bool, roomName: String, caseNumber: String?) throws {
        self.layout = layout
        inputs = cameraQueues.filter { $0.0 == layout.main || $0.0 == layout.inset }.map { Input(name: $0.0, queue: $0.1) }
        self.output = output
        self.timeline = timeline
        self.paced = paced
        self.roomName = roomName
        self.caseNumber = caseNumber
        canvasPool = try FramePool(width: layout.width, height: layout.height, format: .yuv420p)
        let (iw, ih) = layout.resolvedInsetSize
        insetPool = layout.inset == nil ? nil : try FramePool(width: iw, height: ih, format: .yuv420p)
        textFile = NSTemporaryDirectory() + "sealrec-overlay-\(UUID().uuidString).txt"
        // A trial overlay now, so a bad font is an error at start, not a blank picture later.
        try Data("sealrec".utf8).write(to: URL(fileURLWithPath: textFile))
        overlay = try TextOverlay(width: layout.width, height: layout.height, frameRate: layout.frameRate, textFile: textFile,
                                  reload: layout.readingsFile != nil, style: style)
    }

    deinit { unlink(textFile) }

    private var style: TextOverlay.Style {
        let size = layout.resolvedFontSize
        return TextOverlay.Style(fontFile: layout.font, fontSize: size, x: size, bottomMargin: size)
    }

    /// CPU time the compositor's thread has used (scaling, placing, text; not the encoder).
    var cpuNanos: Int64 { cpuLock.lock(); defer { cpuLock.unlock() }; return cpu }

    func start() {
        worker = Worker(name: "compositor", qos: .userInteractive) { [self] in
            do { try run() } catch {
                failure = error
                onFailure?(error, reached)
            }
            output.close()
            // Keep the cameras' queues flowing if we stopped early.
            for i in inputs.indices { while inputs[i].queue.take() != nil {} }
        }
    }

    func join() { worker?.join() }

    private func run() throws {
        let frameNanos = Int64(1_000_000_000) / Int64(layout.frameRate)
        var n: Int64 = 0
        var lastReadings: String?
        while true {
            let t = n * 1_000_000_000 / Int64(layout.frameRate)
            if let stop = timeline.stopTime, t >= stop { return }
            for i in inputs.indices { advance(&inputs[i], to: t, frameNanos: frameNanos) }
            if inputs.allSatisfy({ $0.closed && $0.pending == nil }) && inputs.allSatisfy({ ($0.latest?.timelineTime ?? -1) < t }) { return }
            guard let zero = timeline.zero else { continue }
            let started = threadCPU()
            if n == 0 || layout.readingsFile != nil {
                let readings = layout.readingsFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
                    .split(separator: "\n").first.map { String($0.prefix(80)) }
                if n == 0 || readings != lastReadings { try writeTextTemplate(readings: readings); lastReadings = readings }
            }
            if n == 0 {
                // Now that the UTC anchor is known: drawtext reads its text file when created (and
                // again every frame only when readings can change).
                overlay = try TextOverlay(width: layout.width, height: layout.height, frameRate: layout.frameRate,
                                          textFile: textFile, reload: layout.readingsFile != nil, style: style)
            }
            reached = t
            let frame = try compose(t: t, n: n)
            let buffered = CapturedBufferAt(frame: frame, captureTime: zero + t, timelineTime: t)
            cpuLock.lock(); cpu += threadCPU() - started; cpuLock.unlock()
            guard output.put(buffered) else { return }
            n += 1
        }
    }

    /// Brings an input's latest frame up to output time `t`: consumes frames due by then, keeps an
    /// early one pending. Fast mode waits for each camera; real time waits only a little.
    private func advance(_ input: inout Input, to t: Int64, frameNanos: Int64) {
        while true {
            if let p = input.pending {
                if p.timelineTime <= t + frameNanos / 2 { input.latest = p; input.pending = nil; continue }
                return
            }
            if input.closed { return }
            if paced {
                guard let zero = timeline.zero else {
                    if let b = input.queue.take() { input.pending = b } else { input.closed = true }
                    continue
                }
                switch input.queue.poll(until: zero + t + Compositor.latenessAllowanceNanos) {
                case .item(let b): input.pending = b
                case .timedOut: return
                case .closed: input.closed = true
                }
            } else {
                if let b = input.queue.take() { input.pending = b } else { input.closed = true }
            }
        }
    }

    private func compose(t: Int64, n: Int64) throws -> Frame {
        let canvas = try picture(of: layout.main, at: t, into: canvasPool)
        if let inset = layout.inset, let insetPool {
            let small = try picture(of: inset, at: t, into: insetPool)
            let (x, y) = layout.insetOrigin
            let (w, h) = layout.resolvedInsetSize
            let b = layout.border
            fill(canvas, x: x, y: y, width: w + 2 * b, height: h + 2 * b, yuv: (235, 128, 128))
            place(small, into: canvas, x: x + b, y: y + b)
        }
        canvas.pts = n
        return try overlay!.apply(canvas)
    }

    /// A camera's latest picture scaled into a new frame of `pool`'s size, or its NO SIGNAL card.
    private func picture(of camera: String, at t: Int64, into pool: FramePool) throws -> Frame {
        let input = inputs.first { $0.name == camera }!
        let frameNanos = Int64(1_000_000_000) / Int64(layout.frameRate)
        // A camera that ended is gone after its last frame; a silent one after a second.
        if let latest = input.latest,
           t - latest.timelineTime < (input.closed ? frameNanos : Compositor.goneAfterNanos) {
            let f = latest.frame
            let key = "\(camera) \(f.width)x\(f.height) \(f.pixelFormat) -> \(pool.width)x\(pool.height)"
            if scalers[key] == nil {
                scalers[key] = try Scaler(inputWidth: f.width, inputHeight: f.height, inputFormat: f.pixelFormat,
                                          outputWidth: pool.width, outputHeight: pool.height, outputFormat: .yuv420p)
            }
            return try scalers[key]!.scale(f)
        }
        let since = input.latest.map { $0.timelineTime + Int64(1_000_000_000) / Int64(layout.frameRate) } ?? 0
        return try noSignalCard(camera: camera, sinceTimeline: since, pool: pool)
    }

    private func noSignalCard(camera: String, sinceTimeline: Int64, pool: FramePool) throws -> Frame {
        let card = try pool.frame()
        fill(card, x: 0, y: 0, width: pool.width, height: pool.height, yuv: (16, 128, 128))
        let text = "NO SIGNAL - \(camera) - SINCE \(clockText(atTimeline: sinceTimeline))"
        let scale = max(1, min(pool.height / 40, pool.width / max(1, BitmapFont.width(of: text, scale: 1) + 8)))
        card.withPlane(0) { bytes, stride, rows in
            let w = BitmapFont.width(of: text, scale: scale)
            BitmapFont.draw(text, into: bytes, stride: stride, rows: rows, columns: pool.width,
                            x: (pool.width - w) / 2, y: (pool.height - BitmapFont.glyphHeight * scale) / 2, scale: scale, value: 235)
        }
        return card
    }

    /// HH:MM:SS of a timeline instant in the configured zone.
    private func clockText(atTimeline t: Int64) -> String {
        let seconds = Int64(((timeline.utcAnchor?.timeIntervalSince1970 ?? 0) + Double(t) / 1e9 + Double(zoneOffset)).rounded(.down))
        let s = ((seconds % 86_400) + 86_400) % 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))"
    }

    private var zoneOffset: Int {
        TimeZone(identifier: layout.timeZone)?.secondsFromGMT(for: timeline.utcAnchor ?? Date()) ?? 0
    }

    /// The text line for drawtext: its time is drawtext's own expansion of each frame's pts, offset
    /// by the session's UTC anchor and the zone, so it is exactly the manifest's time of that frame.
    private func writeTextTemplate(readings: String?) throws {
        let anchor = timeline.utcAnchor?.timeIntervalSince1970 ?? 0
        let offset = String(format: "%.6f", anchor + Double(zoneOffset))
        let zone = layout.timeZone == "UTC" ? "UTC" : (TimeZone(identifier: layout.timeZone)?.abbreviation(for: timeline.utcAnchor ?? Date()) ?? layout.timeZone)
        var text = "%{pts:gmtime:\(offset):%Y-%m-%d %H\\:%M\\:%S}"
        if layout.showFrameNumber { text += ".%{eif:floor(mod(t+\(offset),1)*\(layout.frameRate)):d:2}" }
        text += " \(zone)   \(Compositor.escape(roomName))"
        if let caseNumber { text += "   Case \(Compositor.escape(caseNumber))" }
        if let readings, !readings.isEmpty { text += "   \(Compositor.escape(readings))" }
        let temp = textFile + ".tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temp))
        try Files.rename(temp, textFile)
    }

    /// Text shown literally: drawtext expands `%{...}` and takes `\X` as a literal X.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
    }

    private func fill(_ f: Frame, x: Int, y: Int, width: Int, height: Int, yuv: (UInt8, UInt8, UInt8)) {
        for plane in 0..<3 {
            let s = plane == 0 ? 1 : 2
            let value = plane == 0 ? yuv.0 : plane == 1 ? yuv.1 : yuv.2
            f.withPlane(plane) { bytes, stride, rows in
                BitmapFont.fill(bytes, stride: stride, rows: rows, columns: f.width / s, x: x / s, y: y / s,
                                width: width / s, height: height / s, value: value)
            }
        }
    }

    /// Copies a small yuv420p picture into the canvas at an even position.
    private func place(_ small: Frame, into canvas: Frame, x: Int, y: Int) {
        for plane in 0..<3 {
            let s = plane == 0 ? 1 : 2
            small.withPlane(plane) { src, srcStride, srcRows in
                canvas.withPlane(plane) { dst, dstStride, dstRows in
                    let w = small.width / s
                    for row in 0..<min(srcRows, dstRows - y / s) {
                        let from = UnsafeMutableBufferPointer(rebasing: src[(row * srcStride)..<(row * srcStride + w)])
                        let start = (y / s + row) * dstStride + x / s
                        _ = UnsafeMutableBufferPointer(rebasing: dst[start..<(start + w)]).update(fromContentsOf: from)
                    }
                }
            }
        }
    }

    private func threadCPU() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// A buffer whose timeline time is already known (generated on the timeline, not captured).
func CapturedBufferAt(frame: Frame, captureTime: Int64, timelineTime: Int64) -> CapturedBuffer {
    var b = CapturedBuffer(frame: frame, captureTime: captureTime)
    b.timelineTime = timelineTime
    return b
}
