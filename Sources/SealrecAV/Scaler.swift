import CFFmpeg

/// Converts pictures between pixel formats and sizes (libswscale).
public final class Scaler: @unchecked Sendable {
    private let context: OpaquePointer
    public let outputWidth: Int
    public let outputHeight: Int
    public let outputFormat: PixelFormat
    private let pool: FramePool

    public init(inputWidth: Int, inputHeight: Int, inputFormat: PixelFormat,
                outputWidth: Int, outputHeight: Int, outputFormat: PixelFormat) throws(AVError) {
        // Bicubic is what the ffmpeg command line's scale filter uses by default.
        guard let ctx = sws_getContext(Int32(inputWidth), Int32(inputHeight), inputFormat.raw,
                                       Int32(outputWidth), Int32(outputHeight), outputFormat.raw,
                                       Int32(SWS_BICUBIC), nil, nil, nil) else {
            throw AVError(call: "sws_getContext", message: "cannot convert \(inputWidth)x\(inputHeight) \(inputFormat) to \(outputWidth)x\(outputHeight) \(outputFormat)")
        }
        context = ctx
        pool = try FramePool(width: outputWidth, height: outputHeight, format: outputFormat)
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        self.outputFormat = outputFormat
    }

    deinit { sws_freeContext(context) }

    public func scale(_ input: Frame) throws(AVError) -> Frame {
        let out = try pool.frame()
        try check(sws_scale_frame(context, out.pointer, input.pointer), "sws_scale_frame")
        out.pts = input.pts
        return out
    }
}
