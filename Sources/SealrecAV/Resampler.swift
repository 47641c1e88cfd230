import CFFmpeg

/// Converts audio between sample formats, rates and channel counts (libswresample).
public final class Resampler: @unchecked Sendable {
    private var context: OpaquePointer?
    public let outputFormat: SampleFormat
    public let outputRate: Int
    public let outputChannels: Int

    public init(inputFormat: SampleFormat, inputRate: Int, inputChannels: Int,
                outputFormat: SampleFormat, outputRate: Int, outputChannels: Int) throws(AVError) {
        var inLayout = AVChannelLayout()
        var outLayout = AVChannelLayout()
        av_channel_layout_default(&inLayout, Int32(inputChannels))
        av_channel_layout_default(&outLayout, Int32(outputChannels))
        try check(swr_alloc_set_opts2(&context, &outLayout, outputFormat.raw, Int32(outputRate),
                                      &inLayout, inputFormat.raw, Int32(inputRate), 0, nil), "swr_alloc_set_opts2")
        try check(swr_init(context), "swr_init")
        self.outputFormat = outputFormat
        self.outputRate = outputRate
        self.outputChannels = outputChannels
    }

    deinit { swr_free(&context) }

    /// Converts one block; the output holds what the resampler could produce so far.
    public func convert(_ input: Frame) throws(AVError) -> Frame {
        let capacity = Int(swr_get_out_samples(context, Int32(input.sampleCount)))
        let out = try Frame.audio(samples: max(capacity, 1), format: outputFormat, channels: outputChannels, sampleRate: outputRate)
        var srcPlanes: [UnsafePointer<UInt8>?] = (0..<8).map { UnsafePointer(input.data($0)) }
        let produced = out.withPlanePointers { dst in
            swr_convert(context, dst, Int32(capacity), &srcPlanes, Int32(input.sampleCount))
        }
        try check(produced, "swr_convert")
        out.pointer.pointee.nb_samples = produced
        return out
    }

    /// Adjusts the output by `delta` samples spread over `distance` samples: the clock-drift correction.
    public func compensate(delta: Int, distance: Int) throws(AVError) {
        try check(swr_set_compensation(context, Int32(delta), Int32(distance)), "swr_set_compensation")
    }
}

extension Frame {
    func withPlanePointers<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> R) -> R {
        var planes = (0..<8).map { data($0) }
        return planes.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
