import CFFmpeg

/// One decoded picture or block of audio samples. Owns its AVFrame.
/// `@unchecked Sendable`: a frame is handed from one stage's thread to the next. A camera's frame
/// that goes to two stages (its encoder and the compositor) is read by both: a stage that sets
/// properties on it (pts, picture type) takes its own `reference()` first.
public final class Frame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() {
        guard let p = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    /// A new frame sharing this one's buffers (reference-counted, read-only) with its own
    /// properties: setting its pts cannot race with another stage reading this frame's.
    public func reference() throws(AVError) -> Frame {
        let f = Frame()
        try check(av_frame_ref(f.pointer, pointer), "av_frame_ref")
        return f
    }

    /// A picture with its own buffers.
    public static func video(width: Int, height: Int, format: PixelFormat) throws(AVError) -> Frame {
        let f = Frame()
        f.pointer.pointee.width = Int32(width)
        f.pointer.pointee.height = Int32(height)
        f.pointer.pointee.format = format.raw.rawValue
        try check(av_frame_get_buffer(f.pointer, 0), "av_frame_get_buffer(\(width)x\(height) \(format))")
        return f
    }

    /// A block of audio with its own buffers.
    public static func audio(samples: Int, format: SampleFormat, channels: Int, sampleRate: Int) throws(AVError) -> Frame {
        let f = Frame()
        f.pointer.pointee.nb_samples = Int32(samples)
        f.pointer.pointee.format = format.raw.rawValue
        f.pointer.pointee.sample_rate = Int32(sampleRate)
        av_channel_layout_default(&f.pointer.pointee.ch_layout, Int32(channels))
        try check(av_frame_get_buffer(f.pointer, 0), "av_frame_get_buffer(\(samples) samples \(format))")
        return f
    }

    /// Presentation time in the time base of whoever reads it (encoder or stream).
    public var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }

    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }
    public var pixelFormat: PixelFormat { PixelFormat(AVPixelFormat(rawValue: pointer.pointee.format)) }
    public var sampleFormat: SampleFormat { SampleFormat(AVSampleFormat(rawValue: pointer.pointee.format)) }
    public var sampleCount: Int { Int(pointer.pointee.nb_samples) }
    public var sampleRate: Int { Int(pointer.pointee.sample_rate) }
    public var channels: Int { Int(pointer.pointee.ch_layout.nb_channels) }

    /// Asks the encoder to make this picture a keyframe (segment boundaries).
    public var forceKeyframe: Bool {
        get { pointer.pointee.pict_type == AV_PICTURE_TYPE_I }
        set { pointer.pointee.pict_type = newValue ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE }
    }

    /// Number of planes that carry data (1 for packed formats, 3 for yuv420p, one per channel for planar audio).
    public var planeCount: Int {
        var n = 0
        while n < 8, data(n) != nil { n += 1 }
        return n
    }

    func data(_ plane: Int) -> UnsafeMutablePointer<UInt8>? {
        withUnsafeBytes(of: pointer.pointee.data) { raw in
            raw.load(fromByteOffset: plane * MemoryLayout<UnsafeMutablePointer<UInt8>?>.stride,
                     as: UnsafeMutablePointer<UInt8>?.self)
        }
    }

    func stride(_ plane: Int) -> Int {
        withUnsafeBytes(of: pointer.pointee.linesize) { raw in
            Int(raw.load(fromByteOffset: plane * MemoryLayout<Int32>.stride, as: Int32.self))
        }
    }

    /// Rows of a picture plane: scoped access, the pointer never outlives the call.
    public func withPlane<R>(_ plane: Int, _ body: (_ bytes: UnsafeMutableBufferPointer<UInt8>, _ stride: Int, _ rows: Int) throws -> R) rethrows -> R {
        guard let base = data(plane) else { preconditionFailure("plane \(plane) has no data") }
        let rows = rowsInPlane(plane)
        return try body(UnsafeMutableBufferPointer(start: base, count: stride(plane) * rows), stride(plane), rows)
    }

    private func rowsInPlane(_ plane: Int) -> Int {
        if pointer.pointee.nb_samples > 0 && pointer.pointee.height == 0 { return 1 }
        guard plane > 0, let desc = av_pix_fmt_desc_get(pixelFormat.raw) else { return height }
        let shift = Int(desc.pointee.log2_chroma_h)
        return (height + (1 << shift) - 1) >> shift
    }

    /// Audio samples of one plane (interleaved formats have one plane).
    public func withSamples<R>(_ plane: Int = 0, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        guard let base = data(plane) else { preconditionFailure("plane \(plane) has no data") }
        let perPlaneChannels = sampleFormat.isPlanar ? 1 : channels
        let count = sampleCount * perPlaneChannels * sampleFormat.bytesPerSample
        return try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Copies packed bytes (a raw-file picture or PCM block) into the planes, honouring strides.
    public func fill(fromPacked bytes: UnsafeRawBufferPointer) throws(AVError) {
        if sampleCount > 0 {
            guard !sampleFormat.isPlanar else { throw AVError(call: "Frame.fill", message: "planar audio from packed bytes") }
            withSamples { dst in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(dst.count))) }
            return
        }
        guard bytes.count >= pixelFormat.pictureSize(width: width, height: height), let raw = bytes.baseAddress else {
            throw AVError(call: "Frame.fill", message: "\(bytes.count) bytes is less than one \(width)x\(height) \(pixelFormat) picture")
        }
        // av_image_fill_arrays only computes plane addresses inside `bytes`; nothing is written through them.
        var srcData: [UnsafeMutablePointer<UInt8>?] = Array(repeating: nil, count: 4)
        var srcLines: [Int32] = Array(repeating: 0, count: 4)
        try check(av_image_fill_arrays(&srcData, &srcLines, UnsafeMutablePointer(mutating: raw.assumingMemoryBound(to: UInt8.self)),
                                       pixelFormat.raw, Int32(width), Int32(height), 1), "av_image_fill_arrays")
        var constSrc: [UnsafePointer<UInt8>?] = srcData.map { UnsafePointer($0) }
        var dstData: [UnsafeMutablePointer<UInt8>?] = (0..<4).map { data($0) }
        var dstLines: [Int32] = (0..<4).map { Int32(stride($0)) }
        av_image_copy(&dstData, &dstLines, &constSrc, srcLines, pixelFormat.raw, Int32(width), Int32(height))
    }
}
