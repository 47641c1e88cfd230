import Foundation

/// A failed system call: what was called, on what, and the errno it set (as swift-system does).
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let path: String?
    public let errno: Int32

    public init(_ call: String, path: String? = nil, errno: Int32 = Foundation.errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let what = path.map { "\(call) \($0)" } ?? call
        return "\(what): \(String(cString: strerror(errno)))"
    }

    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
}

/// Thin, typed wrappers over the POSIX file calls the recorder needs.
public enum Posix {
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(SystemError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError("open", path: path) }
        return fd
    }

    /// Writes all bytes, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if Foundation.errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += n
        }
    }

    public static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        if Glibc.fsync(fd) != 0 { throw SystemError("fsync", path: path) }
    }

    public static func close(_ fd: Int32, path: String) throws(SystemError) {
        if Glibc.close(fd) != 0 { throw SystemError("close", path: path) }
    }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", path: "\(from) -> \(to)") }
    }

    /// Makes a folder's entries (new or renamed files) durable.
    public static func fsyncDirectory(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    /// Writes a small file atomically: temporary name, fsync, rename, fsync of the folder.
    public static func writeFileAtomically(_ data: Data, to path: String) throws {
        let temp = path + ".tmp"
        let fd = try open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        do {
            try data.withUnsafeBytes { try writeAll(fd, $0, path: temp) }
            try fsync(fd, path: temp)
            try close(fd, path: temp)
        } catch {
            Glibc.close(fd)
            throw error
        }
        try rename(temp, path)
        try fsyncDirectory((path as NSString).deletingLastPathComponent)
    }
}
