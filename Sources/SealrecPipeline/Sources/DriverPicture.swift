import SealrecAV

/// Copies a picture as a V4L2 driver lays it out into a frame. Drivers may pad every row to
/// `bytesPerLine` (capture cards align to 64 or more); planes follow one another, the chroma planes
/// of 4:2:0 formats with half the luma's row length (NV12/NV21 interleave theirs at full length).
enum DriverPicture {
    static func copy(_ bytes: UnsafeRawBufferPointer, bytesPerLine: Int, into frame: Frame) throws {
        guard bytesPerLine > naturalRowBytes(frame) else {
            try frame.fill(fromPacked: bytes)
            return
        }
        var offset = 0
        for plane in 0..<frame.planeCount {
            let sourceStride = plane == 0 || frame.pixelFormat == PixelFormat(name: "nv12") || frame.pixelFormat == PixelFormat(name: "nv21")
                ? bytesPerLine : bytesPerLine / 2
            frame.withPlane(plane) { dst, dstStride, rows in
                let rowBytes = min(sourceStride, dstStride)
                for row in 0..<rows where offset + row * sourceStride + rowBytes <= bytes.count {
                    let src = UnsafeRawBufferPointer(rebasing: bytes[(offset + row * sourceStride)..<(offset + row * sourceStride + rowBytes)])
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(dst)[(row * dstStride)..<(row * dstStride + rowBytes)])
                        .copyMemory(from: src)
                }
                offset += rows * sourceStride
            }
        }
    }

    /// Bytes in one unpadded row of plane 0: packed formats from the picture size, and the planar
    /// ones sealrec takes from cameras (nv12, nv21, yuv420p) have one byte of luma per pixel.
    private static func naturalRowBytes(_ frame: Frame) -> Int {
        frame.planeCount == 1 ? frame.pixelFormat.pictureSize(width: frame.width, height: frame.height) / max(1, frame.height) : frame.width
    }
}
