#if canImport(Glibc)
import Glibc
#endif

/// An errno value, as a type of its own so it cannot be mixed up with a count or a descriptor.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    /// The calling thread's errno, read straight after the failed call.
    public static var current: Errno { Errno(Glibc.errno) }
    public var description: String { String(cString: strerror(rawValue)) }
}

/// A failed system call: what was called, on what, and the errno it set (as swift-system does).
/// The one error type of this layer; `wording` keeps the two message forms the callers always had
/// ("fsync PATH: reason" for the recorder's files, "PATH: write failed: reason" for evidence files).
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Wording: Sendable, Equatable { case callFirst, pathFirst }
    public let call: String
    public let path: String?
    public let errno: Int32
    public let wording: Wording

    public init(_ call: String, path: String? = nil, errno: Int32 = Glibc.errno, wording: Wording = .callFirst) {
        self.call = call
        self.path = path
        self.errno = errno
        self.wording = wording
    }

    public init(_ call: String, path: String? = nil, _ code: Errno, wording: Wording = .callFirst) {
        self.init(call, path: path, errno: code.rawValue, wording: wording)
    }

    public var reason: String { Errno(errno).description }

    public var description: String {
        switch (wording, path) {
        case let (.pathFirst, path?): "\(path): \(call) failed: \(reason)"
        case let (.callFirst, path?): "\(call) \(path): \(reason)"
        case (_, nil): "\(call): \(reason)"
        }
    }

    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
    public var alreadyExists: Bool { errno == EEXIST }
}

/// Runs a system call again while it fails with EINTR (a signal arrived before it did anything):
/// the one place this layer retries interrupted calls. `body` returns the call's result, -1 on failure.
@inlinable
public func retryingInterrupts<T: FixedWidthInteger & SignedInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result != -1 || Glibc.errno != EINTR { return result }
    }
}
