#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file-system call, naming the path and the call so the operator can act on it.
public struct FileError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let operation: String
    public let code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var alreadyExists: Bool { code == EEXIST }
    public var description: String { "\(path): \(operation) failed: \(String(cString: strerror(code)))" }
}

/// An open file descriptor with explicit durability: evidence files are created exclusively
/// (never replacing an existing one) and `sync()`ed before we claim they are written.
public final class DurableFile {
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Creates a new file that must not exist yet; the mode is applied at creation, so the file
    /// is never more permissive than `mode` at any moment (umask can only narrow it).
    public static func createNew(_ path: String, mode: mode_t) throws(FileError) -> DurableFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: path, operation: "create") }
        return DurableFile(path: path, fd: fd)
    }

    /// Opens an existing file for reading and appending (used to resume a manifest).
    public static func openExisting(_ path: String) throws(FileError) -> DurableFile {
        let fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open") }
        return DurableFile(path: path, fd: fd)
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    public func write(_ bytes: [UInt8]) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "write")
            }
            offset += n
        }
    }

    public func sync() throws(FileError) {
        guard fsync(fd) == 0 else { throw FileError(path: path, operation: "fsync") }
    }

    /// Cuts the file to `length` bytes (drops a torn trailing line) and writes on from there.
    public func truncate(to length: Int64) throws(FileError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileError(path: path, operation: "ftruncate") }
        // Without O_APPEND the offset would stay past the end and the next write would leave a hole.
        guard lseek(fd, off_t(length), SEEK_SET) >= 0 else { throw FileError(path: path, operation: "lseek") }
    }

    /// The current size of the file.
    public func size() throws(FileError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, operation: "fstat") }
        return Int64(info.st_size)
    }

    /// Makes a directory entry (a just-created file) durable: fsync on the directory itself.
    public static func syncDirectory(_ path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError(path: path, operation: "fsync directory") }
    }

    /// Writes a whole new file exclusively, syncs it and its directory.
    public static func writeNew(_ path: String, bytes: [UInt8], mode: mode_t) throws(FileError) {
        let file = try createNew(path, mode: mode)
        try file.write(bytes)
        try file.sync()
        try syncDirectory(parentDirectory(of: path))
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = path[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }
}
