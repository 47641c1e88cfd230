import CFFmpeg

/// A rational time base or rate, as FFmpeg uses them.
public struct Rational: Sendable, Hashable, CustomStringConvertible {
    public var num: Int32
    public var den: Int32
    public init(_ num: Int32, _ den: Int32) { self.num = num; self.den = den }
    init(_ r: AVRational) { num = r.num; den = r.den }
    var av: AVRational { AVRational(num: num, den: den) }
    public var doubleValue: Double { Double(num) / Double(den) }
    public var description: String { "\(num)/\(den)" }

    /// Rescales a timestamp between time bases with FFmpeg's rounding (nearest, ties away from zero).
    public static func rescale(_ value: Int64, from: Rational, to: Rational) -> Int64 {
        av_rescale_q(value, from.av, to.av)
    }
}

/// A pixel format by FFmpeg's name ("yuv420p", "yuyv422", "nv12"...).
public struct PixelFormat: Sendable, Hashable, CustomStringConvertible {
    let raw: AVPixelFormat
    init(_ raw: AVPixelFormat) { self.raw = raw }

    public init?(name: String) {
        let f = av_get_pix_fmt(name)
        if f == AV_PIX_FMT_NONE { return nil }
        raw = f
    }

    public static let yuv420p = PixelFormat(AV_PIX_FMT_YUV420P)
    public static let yuyv422 = PixelFormat(AV_PIX_FMT_YUYV422)
    public static let nv12 = PixelFormat(AV_PIX_FMT_NV12)
    public static let rgb24 = PixelFormat(AV_PIX_FMT_RGB24)
    public static let gray = PixelFormat(AV_PIX_FMT_GRAY8)

    public var name: String { av_get_pix_fmt_name(raw).map { String(cString: $0) } ?? "none" }
    public var description: String { name }

    /// Bytes in one picture of this format and size, packed without padding (as a raw file stores it).
    public func pictureSize(width: Int, height: Int) -> Int {
        Int(av_image_get_buffer_size(raw, Int32(width), Int32(height), 1))
    }
}

/// A sample format by FFmpeg's name ("s16", "flt", "fltp"...).
public struct SampleFormat: Sendable, Hashable, CustomStringConvertible {
    let raw: AVSampleFormat
    init(_ raw: AVSampleFormat) { self.raw = raw }

    public init?(name: String) {
        let f = av_get_sample_fmt(name)
        if f == AV_SAMPLE_FMT_NONE { return nil }
        raw = f
    }

    public static let s16 = SampleFormat(AV_SAMPLE_FMT_S16)
    public static let s32 = SampleFormat(AV_SAMPLE_FMT_S32)
    public static let float = SampleFormat(AV_SAMPLE_FMT_FLT)
    public static let floatPlanar = SampleFormat(AV_SAMPLE_FMT_FLTP)

    public var name: String { av_get_sample_fmt_name(raw).map { String(cString: $0) } ?? "none" }
    public var description: String { name }
    public var bytesPerSample: Int { Int(av_get_bytes_per_sample(raw)) }
    public var isPlanar: Bool { av_sample_fmt_is_planar(raw) != 0 }
}

public enum MediaKind: String, Sendable, Codable { case video, audio }
