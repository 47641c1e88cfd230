import Glibc
import CV4L2

/// The capture mode a camera agreed to.
public struct V4L2Mode: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let fourcc: FourCC
    public let frameRate: Double
    public let bytesPerLine: Int
    public let imageSize: Int
}

extension V4L2Device {
    /// Sets the configured format, size and rate, or says what the camera supports instead.
    /// `format` is the FFmpeg name used in room configurations (yuyv422, nv12, mjpeg...).
    public func negotiate(format: String, width: Int, height: Int, frameRate: Int) throws(DeviceError) -> V4L2Mode {
        let caps = try capabilities()
        guard caps.videoCapture, caps.streaming else {
            throw DeviceError("VIDIOC_QUERYCAP", device: path, errno: ENODEV,
                              detail: "\(caps.card) (\(caps.driver)) is not a streaming video capture device")
        }
        let offered = try formatCodes().map(\.0)
        guard let fourcc = FourCC.codes(forFFmpegName: format).first(where: offered.contains) else {
            throw unsupported(path, "pixel format \(format)", supports: try supportSummary())
        }
        var f = v4l2_format()
        f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        f.fmt.pix.width = UInt32(width)
        f.fmt.pix.height = UInt32(height)
        f.fmt.pix.pixelformat = fourcc.code
        f.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try ioctl(SR_VIDIOC_S_FMT, "VIDIOC_S_FMT", &f)
        // Drivers adjust what they cannot do instead of failing: compare what came back.
        guard f.fmt.pix.pixelformat == fourcc.code, Int(f.fmt.pix.width) == width, Int(f.fmt.pix.height) == height else {
            throw unsupported(path, "\(width)x\(height) \(format)", supports: try supportSummary(for: fourcc))
        }
        let rate = try setFrameRate(frameRate)
        guard abs(rate - Double(frameRate)) < 0.5 else {
            throw unsupported(path, "\(frameRate) fps at \(width)x\(height) \(format) (got \(rate))",
                              supports: try supportSummary(for: fourcc))
        }
        return V4L2Mode(width: width, height: height, fourcc: fourcc, frameRate: rate,
                        bytesPerLine: Int(f.fmt.pix.bytesperline), imageSize: Int(f.fmt.pix.sizeimage))
    }

    /// Asks for 1/rate per frame and returns the rate the driver set (cameras without
    /// VIDIOC_S_PARM keep their own).
    func setFrameRate(_ fps: Int) throws(DeviceError) -> Double {
        var p = v4l2_streamparm()
        p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        p.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(fps))
        if v4l2Ioctl(fd, SR_VIDIOC_S_PARM, &p) < 0 {
            guard Glibc.errno == ENOTTY || Glibc.errno == EINVAL else { throw DeviceError("VIDIOC_S_PARM", device: path) }
            return Double(fps)
        }
        let t = p.parm.capture.timeperframe
        return t.numerator == 0 ? Double(fps) : Double(t.denominator) / Double(t.numerator)
    }
}
