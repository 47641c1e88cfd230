import Testing
import SealrecAV
@testable import SealrecPipeline

/// Drivers that pad rows (bytesPerLine beyond the picture's width) must not shear the picture.
@Suite struct DriverPictureTests {
    /// A driver buffer: each plane's rows `stride` apart, every real byte = (plane, row, column) code.
    func driverBuffer(rows: [Int], rowBytes: [Int], strides: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        for p in rows.indices {
            for r in 0..<rows[p] {
                out += (0..<strides[p]).map { c in c < rowBytes[p] ? UInt8(truncatingIfNeeded: p * 97 + r * 31 + c) : 0xEE }
            }
        }
        return out
    }

    func planeRows(_ frame: Frame, _ plane: Int, rowBytes: Int) -> [[UInt8]] {
        frame.withPlane(plane) { bytes, stride, rows in (0..<rows).map { r in Array(bytes[(r * stride)..<(r * stride + rowBytes)]) } }
    }

    @Test func paddedNV12KeepsEveryRow() throws {
        let frame = try Frame.video(width: 64, height: 8, format: PixelFormat(name: "nv12")!)
        let buffer = driverBuffer(rows: [8, 4], rowBytes: [64, 64], strides: [96, 96])
        try buffer.withUnsafeBytes { try DriverPicture.copy($0, bytesPerLine: 96, into: frame) }
        let expected = driverBuffer(rows: [8, 4], rowBytes: [64, 64], strides: [64, 64])
        #expect(planeRows(frame, 0, rowBytes: 64).flatMap { $0 } == Array(expected[0..<512]))
        #expect(planeRows(frame, 1, rowBytes: 64).flatMap { $0 } == Array(expected[512..<768]))
    }

    @Test func paddedYUYVKeepsEveryRowAndUnpaddedIsCopiedAsIs() throws {
        let frame = try Frame.video(width: 32, height: 4, format: .yuyv422)
        let padded = driverBuffer(rows: [4], rowBytes: [64], strides: [80])
        try padded.withUnsafeBytes { try DriverPicture.copy($0, bytesPerLine: 80, into: frame) }
        let tight = driverBuffer(rows: [4], rowBytes: [64], strides: [64])
        #expect(planeRows(frame, 0, rowBytes: 64).flatMap { $0 } == tight)
        let other = try Frame.video(width: 32, height: 4, format: .yuyv422)
        try tight.withUnsafeBytes { try DriverPicture.copy($0, bytesPerLine: 64, into: other) }
        #expect(planeRows(other, 0, rowBytes: 64).flatMap { $0 } == tight)
    }
}
