import CFFmpeg

/// Demuxes and decodes a media file (or HLS playlist): for checking what was recorded.
public final class MediaReader {
    public struct Stream: Sendable {
        public let index: Int
        public let kind: MediaKind?
        public let codecName: String
        public let width: Int
        public let height: Int
        public let sampleRate: Int
        public let channels: Int
        public let timeBase: Rational
    }

    private var context: UnsafeMutablePointer<AVFormatContext>?
    public let streams: [Stream]

    public init(path: String) throws(AVError) {
        try check(avformat_open_input(&context, path, nil, nil), "avformat_open_input(\(path))")
        try check(avformat_find_stream_info(context, nil), "avformat_find_stream_info(\(path))")
        var found: [Stream] = []
        for i in 0..<Int(context!.pointee.nb_streams) {
            let st = context!.pointee.streams[i]!
            let par = st.pointee.codecpar!.pointee
            let kind: MediaKind? = par.codec_type == AVMEDIA_TYPE_VIDEO ? .video : par.codec_type == AVMEDIA_TYPE_AUDIO ? .audio : nil
            found.append(Stream(index: i, kind: kind, codecName: String(cString: avcodec_get_name(par.codec_id)),
                                width: Int(par.width), height: Int(par.height), sampleRate: Int(par.sample_rate),
                                channels: Int(par.ch_layout.nb_channels), timeBase: Rational(st.pointee.time_base)))
        }
        streams = found
    }

    deinit { avformat_close_input(&context) }

    /// End of the media in seconds (largest pts + duration over the given kind's streams), read
    /// from packets without decoding. Nil when there is no such packet.
    public func endTime(of kind: MediaKind) throws -> Double? {
        let packet = Packet()
        var end: Double?
        while true {
            let r = av_read_frame(context, packet.pointer)
            if r == sr_averror_eof() { break }
            if r < 0 { break }  // a damaged tail: what was read so far counts
            defer { av_packet_unref(packet.pointer) }
            let index = Int(packet.pointer.pointee.stream_index)
            guard streams[index].kind == kind, packet.pts != Packet.noTimestamp else { continue }
            let tb = streams[index].timeBase.doubleValue
            let e = Double(packet.pts + max(packet.duration, 0)) * tb
            end = max(end ?? e, e)
        }
        return end
    }

    /// Decodes every frame of one stream in order; `body` gets the frame and its time in seconds.
    /// Decoding errors in the data are thrown: a clean recording has none.
    public func decode(stream index: Int, _ body: (Frame, Double) throws -> Void) throws {
        let st = context!.pointee.streams[index]!
        guard let codec = avcodec_find_decoder(st.pointee.codecpar.pointee.codec_id) else {
            throw AVError(call: "avcodec_find_decoder", message: "no decoder for stream \(index)")
        }
        var dec = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&dec) }
        try check(avcodec_parameters_to_context(dec, st.pointee.codecpar), "avcodec_parameters_to_context")
        dec!.pointee.pkt_timebase = st.pointee.time_base
        try check(avcodec_open2(dec, codec, nil), "avcodec_open2(decoder)")
        let tb = Rational(st.pointee.time_base)
        let packet = Packet()
        func drain() throws {
            while true {
                let frame = Frame()
                let r = avcodec_receive_frame(dec, frame.pointer)
                if r == sr_averror_eagain() || r == sr_averror_eof() { return }
                try check(r, "avcodec_receive_frame")
                let ts = frame.pointer.pointee.best_effort_timestamp
                try body(frame, Double(ts) * tb.doubleValue)
            }
        }
        while true {
            let r = av_read_frame(context, packet.pointer)
            if r == sr_averror_eof() { break }
            try check(r, "av_read_frame")
            defer { av_packet_unref(packet.pointer) }
            guard packet.pointer.pointee.stream_index == Int32(index) else { continue }
            try check(avcodec_send_packet(dec, packet.pointer), "avcodec_send_packet")
            try drain()
        }
        try check(avcodec_send_packet(dec, nil), "avcodec_send_packet(flush)")
        try drain()
    }
}
