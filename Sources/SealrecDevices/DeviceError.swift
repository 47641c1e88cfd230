import Glibc
import CALSA

/// A failed device call: which call, on which device, and the errno it reported (as swift-system
/// does), plus what the device supports when the problem is a mismatch with the configuration.
public struct DeviceError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let device: String
    /// Positive errno (ALSA's negative codes are stored negated back).
    public let errno: Int32
    public let detail: String?

    public init(_ call: String, device: String, errno: Int32 = Glibc.errno, detail: String? = nil) {
        self.call = call
        self.device = device
        self.errno = errno
        self.detail = detail
    }

    /// From an alsa-lib return code (a negative errno, or one of alsa-lib's own codes).
    static func alsa(_ call: String, device: String, code: Int32, detail: String? = nil) -> DeviceError {
        DeviceError(call, device: device, errno: -code, detail: detail)
    }

    public var description: String {
        // snd_strerror covers both errno values and alsa-lib's own codes above 500000.
        let reason = errno == 0 ? "failed" : String(cString: snd_strerror(-errno))
        return "\(device): \(call): \(reason)" + (detail.map { " (\($0))" } ?? "")
    }

    /// The device went away (unplugged, driver unbound, fatal streaming error): worth reopening,
    /// unlike a configuration mismatch.
    public var deviceLost: Bool {
        [ENODEV, ENXIO, ENOENT, EIO, EBADF, ESHUTDOWN, EPIPE, ESTRPIPE, EBADFD].contains(errno)
    }
}

/// The configuration asks for something the device cannot do; `detail` lists what it can.
func unsupported(_ device: String, _ what: String, supports: String) -> DeviceError {
    DeviceError("negotiate \(what)", device: device, errno: EINVAL, detail: "it supports: \(supports)")
}
