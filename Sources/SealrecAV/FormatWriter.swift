import CFFmpeg

/// Where a muxer's bytes go. The segment writer hashes and writes them to a file as they pass.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A libavformat muxer writing through a custom AVIO context into a `ByteSink`, so the bytes of a
/// file can be hashed while written. Output is not seekable: use formats that do not seek back
/// (fragmented MP4 with an empty moov).
public final class FormatWriter {
    private final class SinkBox {
        let sink: ByteSink
        var failure: Error?
        var written: Int64 = 0
        init(_ sink: ByteSink) { self.sink = sink }
    }

    private let context: UnsafeMutablePointer<AVFormatContext>
    private var io: UnsafeMutablePointer<AVIOContext>?
    private let box: SinkBox
    private var timeBases: [Rational] = []
    private var headerWritten = false
    private var finished = false

    public init(format: String, sink: ByteSink, bufferSize: Int = 1 << 16) throws(AVError) {
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&ctx, nil, format, nil), "avformat_alloc_output_context2(\(format))")
        guard let ctx else { throw AVError(call: "avformat_alloc_output_context2", message: "no context for \(format)") }
        context = ctx
        box = SinkBox(sink)
        guard let buffer = av_malloc(bufferSize) else {
            avformat_free_context(ctx)
            throw AVError(call: "av_malloc", message: "out of memory")
        }
        let opaque = Unmanaged.passUnretained(box).toOpaque()
        io = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Int32(bufferSize), 1, opaque, nil, { opaque, buf, size in
            let box = Unmanaged<SinkBox>.fromOpaque(opaque!).takeUnretainedValue()
            guard box.failure == nil else { return sr_averror(EIO) }
            do {
                try box.sink.write(UnsafeRawBufferPointer(start: buf, count: Int(size)))
                box.written += Int64(size)
                return size
            } catch {
                box.failure = error
                return sr_averror(EIO)
            }
        }, nil)
        guard io != nil else {
            av_free(buffer)
            avformat_free_context(ctx)
            throw AVError(call: "avio_alloc_context", message: "out of memory")
        }
        ctx.pointee.pb = io
        ctx.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
    }

    deinit {
        if let io {
            // The AVIO buffer may have been reallocated by FFmpeg: free the one it holds now.
            av_freep(&io.pointee.buffer)
            avio_context_free(&self.io)
        }
        avformat_free_context(context)
    }

    /// Adds a track carrying what `encoder` produces; returns its stream index.
    @discardableResult
    public func addStream(for encoder: Encoder) throws(AVError) -> Int {
        guard let stream = avformat_new_stream(context, nil) else {
            throw AVError(call: "avformat_new_stream", message: "out of memory")
        }
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context), "avcodec_parameters_from_context")
        stream.pointee.time_base = encoder.context.pointee.time_base
        timeBases.append(encoder.timeBase)
        return Int(stream.pointee.index)
    }

    /// Writes the file header; `options` are the muxer's (movflags, frag_duration...).
    public func writeHeader(options: [String: String] = [:]) throws {
        var dict = OptionDictionary(options)
        defer { dict.free() }
        try rethrowingSinkFailure(avformat_write_header(context, &dict.pointer), "avformat_write_header")
        let unused = dict.keys
        if !unused.isEmpty { throw AVError(call: "avformat_write_header", message: "unknown muxer option(s): \(unused.joined(separator: ", "))") }
        // The muxer may have changed each stream's time base; packets are rescaled to it.
        for i in 0..<Int(context.pointee.nb_streams) {
            timeBases[i] = Rational(context.pointee.streams[i]!.pointee.time_base)
        }
        headerWritten = true
    }

    /// Writes a packet whose timestamps are in `timeBase` (the encoder's), straight into the muxer.
    /// Not through libavformat's interleaving queue: that holds every track's packets until each
    /// track has one (up to 10 s), so a silent camera would keep the microphone's sound in memory,
    /// where a crash loses it. Fragmented MP4 lays each fragment out per track by itself.
    public func write(_ packet: Packet, stream: Int, timeBase: Rational) throws {
        av_packet_rescale_ts(packet.pointer, timeBase.av, timeBases[stream].av)
        packet.pointer.pointee.stream_index = Int32(stream)
        try rethrowingSinkFailure(av_write_frame(context, packet.pointer), "av_write_frame")
    }

    /// Pushes buffered bytes to the sink (after the header: the init section ends here).
    public func flush() throws {
        avio_flush(io)
        if let failure = box.failure { throw failure }
    }

    /// Writes the trailer and flushes everything to the sink.
    public func finish() throws {
        guard headerWritten, !finished else { return }
        finished = true
        try rethrowingSinkFailure(av_write_trailer(context), "av_write_trailer")
        try flush()
    }

    /// Bytes handed to the sink so far.
    public var bytesWritten: Int64 { box.written }

    private func rethrowingSinkFailure(_ result: Int32, _ call: String) throws {
        if let failure = box.failure { throw failure }
        try check(result, call)
    }
}
