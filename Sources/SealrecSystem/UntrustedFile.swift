#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file someone else named or placed was not read.
public enum UntrustedFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The name is a symbolic link: links are refused, not followed (it could point at /dev/zero,
    /// a FIFO, or a file the user never meant to hand over).
    case symbolicLink(path: String)
    /// A FIFO, device, socket or directory where a plain file was expected.
    case notRegular(path: String, kind: String)
    /// More bytes than the most this file may hold; reading stopped one byte past the bound.
    case tooLong(path: String, limit: Int64)
    case file(SystemError)

    public var description: String {
        switch self {
        case let .symbolicLink(path): "\(path): is a symbolic link; refused (links are not followed)"
        case let .notRegular(path, kind): "\(path): is \(kind), not a regular file; refused"
        case let .tooLong(path, limit): "\(path): holds more than the \(limit) bytes it may have; not read further"
        case let .file(error): error.description
        }
    }
}

/// A file read on behalf of a user or a store (a key given with --trust, an object in a folder
/// store): opened without following a symbolic link and without blocking on a FIFO, then required
/// to be a regular file on the very descriptor that is read, and never read past a stated bound.
public final class UntrustedFile {
    public let path: String
    public let descriptor: Int32
    /// The size fstat gave at open (a growing file is caught by the read bound, not by this).
    public let size: Int64
    public let mode: mode_t

    /// Opens `name` (relative to the directory `directory`, or the working directory) for reading.
    /// `followingLinks`: for a file the operator names on purpose (a key, the credentials file),
    /// which a deployment may well keep behind a link; what the link reaches must still be a
    /// regular file within the bound. Names a store or a stranger chose never follow links.
    public init(_ name: String, in directory: Int32 = AT_FDCWD, path: String? = nil,
                followingLinks: Bool = false) throws(UntrustedFileError) {
        let shown = path ?? name
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        let fd = retryingInterrupts { openat(directory, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followingLinks ? 0 : O_NOFOLLOW)) }
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { throw .symbolicLink(path: shown) }
            throw .file(SystemError("open", path: shown, errno: code, wording: .pathFirst))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SystemError("fstat", path: shown, wording: .pathFirst)
            close(fd)
            throw .file(error)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .notRegular(path: shown, kind: Self.kind(info.st_mode))
        }
        self.path = shown
        descriptor = fd
        size = Int64(info.st_size)
        mode = info.st_mode
    }

    deinit { close(descriptor) }

    /// Reads the whole file, at most `limit` bytes: one more is an error, whatever fstat said.
    public func readAll(limit: Int64) throws(UntrustedFileError) -> [UInt8] {
        var bytes: [UInt8] = []
        try read(limit: limit, chunk: 64 * 1024) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Hands the file to `consume` chunk by chunk from the start, at most `limit` bytes; asks for
    /// one byte more than the bound so a longer file is detected without reading it further.
    public func read(limit: Int64, chunk: Int = 1 << 20, _ consume: (UnsafeRawBufferPointer) throws(UntrustedFileError) -> Void) throws(UntrustedFileError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while true {
            let want = Int(min(Int64(chunk), limit + 1 - position))
            let n: Int
            do { n = try FileDescriptor(rawValue: descriptor).read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position) } catch {
                throw .file(SystemError("read", path: path, error, wording: .pathFirst))
            }
            if n == 0 { return }
            if position + Int64(n) > limit { throw .tooLong(path: path, limit: limit) }
            try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
        }
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        default: "not a plain file"
        }
    }
}
