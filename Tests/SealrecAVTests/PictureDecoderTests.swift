import Foundation
import Testing
import SealrecAV
import TestSupport

/// MJPEG cameras send one JPEG per frame: the decoder must give back the picture ffmpeg encoded.
@Suite struct PictureDecoderTests {
    @Test func decodesAJPEGFrameOfTheRightSize() throws {
        let dir = Scratch("mjpeg")
        defer { dir.remove() }
        let jpeg = dir.file("f.jpg")
        #expect(try Run.tool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=1", "-frames:v", "1",
                                         "-c:v", "mjpeg", "-f", "mjpeg", jpeg]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: jpeg))
        let decoder = try PictureDecoder(codec: "mjpeg")
        let frame = try bytes.withUnsafeBytes { try decoder.decode($0) }
        #expect(frame.width == 320 && frame.height == 180)
        // A damaged picture is an error (the camera source counts it as a dropped frame), not a crash.
        #expect(throws: AVError.self) { try bytes.prefix(200).withUnsafeBytes { try decoder.decode($0) } }
    }
}
