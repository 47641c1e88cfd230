import Foundation
import SealrecAV
import SealrecDevices

/// A V4L2 camera: the configured format, size and rate negotiated at start (or a clear error),
/// pictures taken from mmap buffers with the kernel's timestamps, frames the driver dropped counted
/// from its sequence numbers, and the device reopened by itself after it goes away.
public final class V4L2CameraSource: CaptureSource, DeviceStatusReporting, @unchecked Sendable {
    struct Open {
        let device: V4L2Device
        let stream: V4L2Stream
        let mode: V4L2Mode
    }

    public let path: String
    public let width: Int, height: Int, frameRate: Int
    public let format: String
    private let link: DeviceLink<Open>
    private let pixelFormat: PixelFormat?
    private let decoder: PictureDecoder?
    private var lastSequence: UInt32?
    private var pendingDrops = (count: 0, since: Int64(0))

    public init(name: String, path: String, format: String, width: Int, height: Int, frameRate: Int,
                controls: [String: Int] = [:]) throws {
        self.path = path
        self.width = width; self.height = height; self.frameRate = frameRate
        self.format = format.lowercased()
        if self.format == "mjpeg" {
            decoder = try PictureDecoder(codec: "mjpeg")
            pixelFormat = nil
        } else {
            guard let pf = PixelFormat(name: self.format), !FourCC.codes(forFFmpegName: self.format).isEmpty else {
                throw ConfigError("camera \(name) (\(path)): pixel format '\(format)' is not one sealrec takes from a camera "
                    + "(yuyv422, uyvy422, nv12, nv21, yuv420p, rgb24, bgr24, gray, mjpeg)")
            }
            pixelFormat = pf
            decoder = nil
        }
        let openDevice = { () throws -> Open in
            let device = try V4L2Device(path: path)
            let mode = try device.negotiate(format: format, width: width, height: height, frameRate: frameRate)
            try device.setControls(controls)
            return Open(device: device, stream: try V4L2Stream(device: device), mode: mode)
        }
        link = try DeviceLink(sourceName: name, role: "camera", open: openDevice)
        super.init(name: name, kind: .video)
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .video, source: "v4l2:\(path)", format: "\(width)x\(height) \(format) @ \(frameRate) fps")
    }

    public var deviceStatus: String { link.status }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        try link.next(context: context, stopRequested: { shouldStop }, onLoss: { lastSequence = nil }) {
            try capture($0, context: context)
        }
    }

    private func capture(_ open: Open, context: CaptureContext) throws -> CapturedBuffer? {
        let period = Int64(1e9 / open.mode.frameRate)
        let result: CapturedBuffer?? = try open.stream.next(timeoutMillis: 200) { info, bytes -> CapturedBuffer? in
            countDrops(info, period: period, context: context)
            guard !info.corrupted, bytes.count > 0 else { return nil }
            let frame: Frame
            if let decoder {
                // A damaged JPEG (cameras send them after a USB hiccup) is one lost picture.
                guard let decoded = try? decoder.decode(bytes) else { pendingDrops.count += 1; return nil }
                frame = decoded
            } else {
                frame = try Frame.video(width: width, height: height, format: pixelFormat!)
                try DriverPicture.copy(bytes, bytesPerLine: open.mode.bytesPerLine, into: frame)
            }
            link.captured(start: info.captureNanos, end: info.captureNanos + period, context: context,
                          holeThreshold: Int64.max) { "" }
            return CapturedBuffer(frame: frame, captureTime: info.captureNanos)
        }
        return result ?? nil
    }

    /// Sequence jumps (and pictures the driver flagged as damaged) are frames lost before they
    /// reached sealrec; reported at most once a second so a flaky camera cannot flood the chain.
    private func countDrops(_ info: V4L2BufferInfo, period: Int64, context: CaptureContext) {
        if let last = lastSequence, info.sequence > last &+ 1 { pendingDrops.count += Int(info.sequence &- last &- 1) }
        if info.corrupted { pendingDrops.count += 1 }
        lastSequence = info.sequence
        guard pendingDrops.count > 0, info.captureNanos - pendingDrops.since >= 1_000_000_000,
              let zero = context.timeline.zero else { return }
        let n = pendingDrops.count
        context.report(.dropped(source: name, count: n, timelineNanos: max(0, info.captureNanos - zero),
                                reason: "driver dropped \(n) frame(s) (\(Int64(n) * period / 1_000_000) ms of pictures)"))
        pendingDrops = (0, info.captureNanos)
    }

}
