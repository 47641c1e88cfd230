import CFFmpeg

public struct VideoEncoderSettings: Sendable, Hashable {
    public var codec: String
    public var width: Int
    public var height: Int
    public var frameRate: Rational
    /// Keyframe interval in frames; segment boundaries also force keyframes.
    public var gopFrames: Int
    /// Target bit rate in bit/s; nil leaves rate control to `options` (e.g. crf).
    public var bitRate: Int?
    /// Encoder private options (preset, crf, tune, x264-params...).
    public var options: [String: String]
    public var threads: Int

    public init(codec: String = "libx264", width: Int, height: Int, frameRate: Rational, gopFrames: Int,
                bitRate: Int? = nil, options: [String: String] = [:], threads: Int = 0) {
        self.codec = codec; self.width = width; self.height = height; self.frameRate = frameRate
        self.gopFrames = gopFrames; self.bitRate = bitRate; self.options = options; self.threads = threads
    }
}

public struct AudioEncoderSettings: Sendable, Hashable {
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    public var bitRate: Int
    public var options: [String: String]

    public init(codec: String = "aac", sampleRate: Int = 48_000, channels: Int, bitRate: Int = 128_000,
                options: [String: String] = [:]) {
        self.codec = codec; self.sampleRate = sampleRate; self.channels = channels
        self.bitRate = bitRate; self.options = options
    }
}

/// A libavcodec encoder (send frames, receive packets). Used from one thread at a time.
public final class Encoder: @unchecked Sendable {
    let context: UnsafeMutablePointer<AVCodecContext>
    public let kind: MediaKind
    public let codecName: String

    /// Video: 1/frame rate. Audio: 1/sample rate. Frames sent must carry pts in this base.
    public var timeBase: Rational { Rational(context.pointee.time_base) }
    /// Input pixel format the encoder was opened with.
    public var pixelFormat: PixelFormat { PixelFormat(context.pointee.pix_fmt) }
    public var sampleFormat: SampleFormat { SampleFormat(context.pointee.sample_fmt) }
    public var width: Int { Int(context.pointee.width) }
    public var height: Int { Int(context.pointee.height) }
    public var channels: Int { Int(context.pointee.ch_layout.nb_channels) }
    /// Samples per audio frame the encoder requires (1024 for AAC); 0 means any.
    public var frameSize: Int { Int(context.pointee.frame_size) }

    public init(video s: VideoEncoderSettings) throws(AVError) {
        let codec = try Encoder.find(s.codec, kind: AVMEDIA_TYPE_VIDEO)
        guard let ctx = avcodec_alloc_context3(codec) else { throw AVError(call: "avcodec_alloc_context3", message: "out of memory") }
        context = ctx
        kind = .video
        codecName = s.codec
        ctx.pointee.width = Int32(s.width)
        ctx.pointee.height = Int32(s.height)
        ctx.pointee.time_base = AVRational(num: s.frameRate.den, den: s.frameRate.num)
        ctx.pointee.framerate = s.frameRate.av
        ctx.pointee.gop_size = Int32(s.gopFrames)
        // No B-frames: decode timestamps then equal presentation timestamps and never precede the
        // session start, which fragmented MP4's unsigned base decode time could not express.
        ctx.pointee.max_b_frames = 0
        ctx.pointee.pix_fmt = Encoder.preferredPixelFormat(codec)
        ctx.pointee.thread_count = Int32(s.threads)
        ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER  // MP4 keeps SPS/PPS in the moov.
        if let rate = s.bitRate { ctx.pointee.bit_rate = Int64(rate) }
        var options = s.options
        if s.codec == "libx264" { options["forced-idr"] = options["forced-idr"] ?? "1" }
        try Encoder.open(ctx, codec, options, name: s.codec)
    }

    public init(audio s: AudioEncoderSettings) throws(AVError) {
        let codec = try Encoder.find(s.codec, kind: AVMEDIA_TYPE_AUDIO)
        guard let ctx = avcodec_alloc_context3(codec) else { throw AVError(call: "avcodec_alloc_context3", message: "out of memory") }
        context = ctx
        kind = .audio
        codecName = s.codec
        ctx.pointee.sample_rate = Int32(s.sampleRate)
        ctx.pointee.time_base = AVRational(num: 1, den: Int32(s.sampleRate))
        av_channel_layout_default(&ctx.pointee.ch_layout, Int32(s.channels))
        ctx.pointee.sample_fmt = codec.pointee.sample_fmts?.pointee ?? AV_SAMPLE_FMT_FLTP
        ctx.pointee.bit_rate = Int64(s.bitRate)
        ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        try Encoder.open(ctx, codec, s.options, name: s.codec)
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&p)
    }

    /// Sends a frame; nil starts draining. Frames the encoder cannot take yet are a caller bug
    /// here because every send is followed by receiving all packets.
    public func send(_ frame: Frame?) throws(AVError) {
        try check(avcodec_send_frame(context, frame?.pointer), "avcodec_send_frame(\(codecName))")
    }

    /// The next packet, or nil when the encoder needs more input or is fully drained.
    public func receive() throws(AVError) -> Packet? {
        let packet = Packet()
        let r = avcodec_receive_packet(context, packet.pointer)
        if r == sr_averror_eagain() || r == sr_averror_eof() { return nil }
        try check(r, "avcodec_receive_packet(\(codecName))")
        return packet
    }

    private static func find(_ name: String, kind: AVMediaType) throws(AVError) -> UnsafePointer<AVCodec> {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw AVError(call: "avcodec_find_encoder_by_name", message: "unknown encoder '\(name)'")
        }
        guard codec.pointee.type == kind else {
            throw AVError(call: "avcodec_find_encoder_by_name", message: "encoder '\(name)' is not \(kind == AVMEDIA_TYPE_VIDEO ? "a video" : "an audio") encoder")
        }
        return codec
    }

    private static func preferredPixelFormat(_ codec: UnsafePointer<AVCodec>) -> AVPixelFormat {
        guard var p = codec.pointee.pix_fmts else { return AV_PIX_FMT_YUV420P }
        let first = p.pointee
        while p.pointee != AV_PIX_FMT_NONE {
            if p.pointee == AV_PIX_FMT_YUV420P { return AV_PIX_FMT_YUV420P }
            p += 1
        }
        return first
    }

    private static func open(_ ctx: UnsafeMutablePointer<AVCodecContext>, _ codec: UnsafePointer<AVCodec>,
                             _ options: [String: String], name: String) throws(AVError) {
        var dict = OptionDictionary(options)
        defer { dict.free() }
        try check(avcodec_open2(ctx, codec, &dict.pointer), "avcodec_open2(\(name))")
        let unused = dict.keys
        if !unused.isEmpty {
            throw AVError(call: "avcodec_open2(\(name))", message: "unknown option(s) for encoder \(name): \(unused.joined(separator: ", "))")
        }
    }
}
