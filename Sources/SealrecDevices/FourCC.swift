import CV4L2

/// A V4L2 pixel format code and its FFmpeg name (the name room configurations use).
public struct FourCC: Hashable, Sendable, CustomStringConvertible {
    public let code: UInt32
    public init(_ code: UInt32) { self.code = code }

    /// "YUYV", "NV12", "MJPG": the four characters of the code.
    public var description: String {
        // Some codes carry a flag in the top byte (big-endian variants): shown as '?'.
        String(decoding: (0..<4).map { i -> UInt8 in
            let byte = UInt8(truncatingIfNeeded: code >> (i * 8))
            return (0x20..<0x7f).contains(byte) ? byte : UInt8(ascii: "?")
        }, as: UTF8.self)
    }

    /// Formats sealrec can take from a camera, by the FFmpeg pixel format (or codec) name.
    static let byFFmpegName: [(String, UInt32)] = [
        ("yuyv422", SR_V4L2_PIX_FMT_YUYV), ("uyvy422", SR_V4L2_PIX_FMT_UYVY),
        ("nv12", SR_V4L2_PIX_FMT_NV12), ("nv21", SR_V4L2_PIX_FMT_NV21),
        ("yuv420p", SR_V4L2_PIX_FMT_YUV420), ("rgb24", SR_V4L2_PIX_FMT_RGB24),
        ("bgr24", SR_V4L2_PIX_FMT_BGR24), ("gray", SR_V4L2_PIX_FMT_GREY),
        ("mjpeg", SR_V4L2_PIX_FMT_MJPEG), ("mjpeg", SR_V4L2_PIX_FMT_JPEG),
    ]

    /// nil for a format sealrec does not handle.
    public var ffmpegName: String? { FourCC.byFFmpegName.first { $0.1 == code }?.0 }

    /// The V4L2 codes a configured name may mean (mjpeg: MJPG or JPEG).
    public static func codes(forFFmpegName name: String) -> [FourCC] {
        byFFmpegName.filter { $0.0 == name.lowercased() }.map { FourCC($0.1) }
    }

    public var isCompressed: Bool { code == SR_V4L2_PIX_FMT_MJPEG || code == SR_V4L2_PIX_FMT_JPEG }
}
