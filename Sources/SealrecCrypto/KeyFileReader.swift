#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a small key file through one descriptor, so the mode we check is the mode of the
/// very file we read (no window for a swap between stat and open).
enum KeyFileReader {
    static let maxBytes: Int64 = 64 * 1024

    static func read(_ path: String, requireOwnerOnly: Bool) throws(KeyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(FileError(path: path, operation: "open")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .file(FileError(path: path, operation: "fstat")) }
        if requireOwnerOnly && info.st_mode & 0o077 != 0 {
            throw .privateKeyReadableByOthers(path: path, mode: UInt32(info.st_mode))
        }
        guard Int64(info.st_size) <= maxBytes else { throw .tooLarge(path: path, bytes: Int64(info.st_size)) }
        var bytes = [UInt8](repeating: 0, count: Int(maxBytes) + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .file(FileError(path: path, operation: "read")) }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else { throw .tooLarge(path: path, bytes: Int64(filled)) }
        return Array(bytes.prefix(filled))
    }
}
