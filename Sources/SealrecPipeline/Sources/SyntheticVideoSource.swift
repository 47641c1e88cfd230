import Foundation
import SealrecAV
import SealrecSystem

/// A test-pattern camera: a background in the camera's own colour (so composites and multi-camera
/// recordings show which camera is which), colour bars, a moving bar, and the camera id, frame
/// number and timeline time burned in. Once per second (frame number divisible by the rate) the
/// whole picture flashes white: with the synthetic microphone's beep this makes A/V sync measurable.
public final class SyntheticVideoSource: CaptureSource, @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let frameRate: Int
    private let index: Int
    private var frameNumber: Int64 = 0
    private var background: [[UInt8]] = []
    private let pool: FramePool
    /// Fail (as an unplugged camera would) once frames reach this timeline offset.
    public var failAfterNanos: Int64?

    /// Luma/chroma of each camera's background, by camera index.
    static let palette: [(y: UInt8, u: UInt8, v: UInt8)] = [
        (41, 240, 110),   // blue
        (112, 72, 58),    // green
        (81, 90, 240),    // red
        (170, 44, 142),   // yellow-ish
    ]

    public init(name: String, index: Int, width: Int, height: Int, frameRate: Int) throws {
        pool = try FramePool(width: width, height: height, format: .yuv420p)
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.index = index
        super.init(name: name, kind: .video)
        background = makeBackground()
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .video, source: "synthetic", format: "\(width)x\(height) yuv420p @ \(frameRate) fps")
    }

    /// Nanoseconds of frame `n` after the session origin: exact integer arithmetic, no drift.
    func offset(ofFrame n: Int64) -> Int64 { n * 1_000_000_000 / Int64(frameRate) }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        let n = frameNumber
        frameNumber += 1
        let capture = context.origin + offset(ofFrame: n)
        if let failAfterNanos, offset(ofFrame: n) >= failAfterNanos {
            throw ConfigError("camera \(name) disappeared (simulated failure after \(Double(failAfterNanos) / 1e9) s)")
        }
        if context.paced { MonotonicClock.sleep(until: capture) }
        let frame = try pool.frame()
        draw(frame, number: n)
        return CapturedBuffer(frame: frame, captureTime: capture)
    }

    private func draw(_ frame: Frame, number n: Int64) {
        let flash = n % Int64(frameRate) == 0
        for plane in 0..<3 {
            frame.withPlane(plane) { bytes, stride, rows in
                let columns = plane == 0 ? width : width / 2
                if flash {
                    bytes.update(repeating: plane == 0 ? 235 : 128)
                    return
                }
                background[plane].withUnsafeBufferPointer { src in
                    for row in 0..<rows {
                        _ = UnsafeMutableBufferPointer(rebasing: bytes[(row * stride)..<(row * stride + columns)])
                            .update(fromContentsOf: src[(row * columns)..<((row + 1) * columns)])
                    }
                }
                guard plane == 0 else { return }
                // A bar sweeping across once per second shows motion (and frozen pictures).
                let barX = Int(n % Int64(frameRate)) * width / frameRate
                BitmapFont.fill(bytes, stride: stride, rows: rows, columns: columns, x: barX, y: height / 2,
                                width: max(2, width / 64), height: height / 4, value: 235)
                let scale = max(1, height / 120)
                let ms = offset(ofFrame: n) / 1_000_000
                let text = String(format: "%@ #%06lld %02lld:%02lld:%02lld.%03lld", name.uppercased(), n,
                                  ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
                BitmapFont.fill(bytes, stride: stride, rows: rows, columns: columns, x: scale * 2, y: scale * 2,
                                width: BitmapFont.width(of: text, scale: scale) + scale * 4, height: scale * 11, value: 16)
                BitmapFont.draw(text, into: bytes, stride: stride, rows: rows, columns: columns,
                                x: scale * 4, y: scale * 4, scale: scale, value: 235)
            }
        }
    }

    /// The static part of the picture, drawn once: camera colour plus eight bars along the bottom.
    private func makeBackground() -> [[UInt8]] {
        let c = SyntheticVideoSource.palette[index % SyntheticVideoSource.palette.count]
        var y = [UInt8](repeating: c.y, count: width * height)
        var u = [UInt8](repeating: c.u, count: (width / 2) * (height / 2))
        var v = [UInt8](repeating: c.v, count: (width / 2) * (height / 2))
        let bars: [(UInt8, UInt8, UInt8)] = [(235, 128, 128), (210, 16, 146), (170, 166, 16), (145, 54, 34),
                                             (106, 202, 222), (81, 90, 240), (41, 240, 110), (16, 128, 128)]
        let top = height * 7 / 8
        for row in top..<height {
            for col in 0..<width {
                let b = bars[col * bars.count / width]
                y[row * width + col] = b.0
                if row % 2 == 0 && col % 2 == 0 {
                    u[(row / 2) * (width / 2) + col / 2] = b.1
                    v[(row / 2) * (width / 2) + col / 2] = b.2
                }
            }
        }
        return [y, u, v]
    }
}
