import CFFmpeg

/// Decodes single compressed pictures (a camera's MJPEG frames) into frames.
public final class PictureDecoder: @unchecked Sendable {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let packet = Packet()
    public let codecName: String

    public init(codec name: String) throws(AVError) {
        guard let codec = avcodec_find_decoder_by_name(name) else {
            throw AVError(call: "avcodec_find_decoder_by_name", message: "no decoder named \(name)")
        }
        codecName = name
        context = avcodec_alloc_context3(codec)
        try check(avcodec_open2(context, codec, nil), "avcodec_open2(\(name) decoder)")
    }

    deinit { avcodec_free_context(&context) }

    /// One picture from one packet; the bytes are copied, so they may be reused after the call.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(AVError) -> Frame {
        try check(av_new_packet(packet.pointer, Int32(bytes.count)), "av_new_packet")
        defer { av_packet_unref(packet.pointer) }
        if let base = bytes.baseAddress { packet.pointer.pointee.data.update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
        try check(avcodec_send_packet(context, packet.pointer), "avcodec_send_packet(\(codecName))")
        let frame = Frame()
        try check(avcodec_receive_frame(context, frame.pointer), "avcodec_receive_frame(\(codecName))")
        return frame
    }
}
