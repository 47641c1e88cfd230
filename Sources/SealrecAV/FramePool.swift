import CFFmpeg

/// Pictures of one size and format whose buffers are reused (AVBufferPool): a 1080p stream then
/// costs no allocation, no fresh page faults and no allocator fragmentation per frame, and its
/// memory is exactly the frames alive at once. Thread-safe: a source takes, an encoder releases.
public final class FramePool: @unchecked Sendable {
    private var pool: OpaquePointer?
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    private let bufferSize: Int32
    private static let align: Int32 = 64

    public init(width: Int, height: Int, format: PixelFormat) throws(AVError) {
        let size = av_image_get_buffer_size(format.raw, Int32(width), Int32(height), FramePool.align)
        try check(size, "av_image_get_buffer_size(\(width)x\(height) \(format))")
        guard let p = av_buffer_pool_init(Int(size), nil) else { throw AVError(call: "av_buffer_pool_init", message: "out of memory") }
        pool = p
        bufferSize = size
        self.width = width
        self.height = height
        self.format = format
    }

    /// The pool is freed once the last frame taken from it is released.
    deinit { av_buffer_pool_uninit(&pool) }

    public func frame() throws(AVError) -> Frame {
        guard let ref = av_buffer_pool_get(pool) else { throw AVError(call: "av_buffer_pool_get", message: "out of memory") }
        let f = Frame()
        f.pointer.pointee.width = Int32(width)
        f.pointer.pointee.height = Int32(height)
        f.pointer.pointee.format = format.raw.rawValue
        f.pointer.pointee.buf.0 = ref  // the frame now owns the buffer; av_frame_free returns it to the pool
        let filled = withUnsafeMutablePointer(to: &f.pointer.pointee.data) { data in
            withUnsafeMutablePointer(to: &f.pointer.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 4) { d in
                    lines.withMemoryRebound(to: Int32.self, capacity: 4) { l in
                        av_image_fill_arrays(d, l, ref.pointee.data, format.raw, Int32(width), Int32(height), FramePool.align)
                    }
                }
            }
        }
        try check(filled, "av_image_fill_arrays")
        return f
    }
}
