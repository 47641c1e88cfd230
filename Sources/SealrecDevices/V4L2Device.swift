import Glibc
import SealrecSystem
import CV4L2

/// An open V4L2 video node (through libv4l2, which converts formats a camera cannot give directly
/// and passes everything else straight to the kernel). Owns its file descriptor.
public final class V4L2Device {
    /// The path as configured (a /dev/v4l/by-id link stays readable in messages).
    public let path: String
    let fd: Int32

    public init(path: String) throws(DeviceError) {
        // Non-blocking: DQBUF must never wait; poll does the waiting, with a timeout.
        let fd = sr_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            // libv4l2 queries the driver while opening: ENOTTY means the file is not a V4L2 device.
            let e = Glibc.errno
            throw DeviceError("open", device: path, errno: e,
                              detail: e == ENOTTY ? "not a video4linux device" : "list cameras with: sealrec devices")
        }
        self.path = path
        self.fd = fd
    }

    deinit { v4l2_close(fd) }

    func ioctl<T>(_ request: UInt, _ name: String, _ value: inout T) throws(DeviceError) {
        let r = v4l2Ioctl(fd, request, &value)
        if r < 0 { throw DeviceError(name, device: path) }
    }

    /// For enumerations, which end with EINVAL: true while the index exists.
    func enumerate<T>(_ request: UInt, _ name: String, _ value: inout T) throws(DeviceError) -> Bool {
        let r = v4l2Ioctl(fd, request, &value)
        if r == 0 { return true }
        if Glibc.errno == EINVAL || Glibc.errno == ENOTTY { return false }
        throw DeviceError(name, device: path)
    }

    public func capabilities() throws(DeviceError) -> V4L2Capabilities {
        var cap = v4l2_capability()
        try ioctl(SR_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &cap)
        // device_caps describes this node; capabilities the whole physical device.
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return V4L2Capabilities(driver: cString(cap.driver), card: cString(cap.card), busInfo: cString(cap.bus_info),
                                videoCapture: caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0,
                                streaming: caps & UInt32(V4L2_CAP_STREAMING) != 0)
    }
}

public struct V4L2Capabilities: Sendable, Codable, Equatable {
    public let driver: String
    public let card: String
    public let busInfo: String
    public let videoCapture: Bool
    public let streaming: Bool
}

/// A fixed-size C char array (imported as a tuple) as a String.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// A V4L2 ioctl through libv4l2, run again when a signal interrupted it.
func v4l2Ioctl<T>(_ fd: Int32, _ request: UInt, _ value: inout T) -> Int32 {
    retryingInterrupts { withUnsafeMutablePointer(to: &value) { sr_v4l2_ioctl(fd, request, $0) } }
}
