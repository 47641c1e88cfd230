#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor with typed calls; each failure is the call's `Errno`, each
/// interrupted call is retried (`retryingInterrupts`). The owner closes it.
public struct FileDescriptor: Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path` (close-on-exec always); `mode` applies when the file is created.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(Errno) -> FileDescriptor {
        let fd = retryingInterrupts { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw .current }
        return FileDescriptor(rawValue: fd)
    }

    /// Writes all bytes, going on after short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = retryingInterrupts { Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset) }
            guard n >= 0 else { throw .current }
            offset += n
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        // withUnsafeBytes rethrows untyped: carry the typed error out by value.
        let failure = bytes.withUnsafeBytes { (raw) -> Errno? in
            do throws(Errno) { try writeAll(raw); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Reads at most `buffer.count` bytes at `offset` (0 at the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let n = retryingInterrupts { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard n >= 0 else { throw .current }
        return n
    }

    /// Reads at most `buffer.count` bytes from the current position (0 at the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let n = retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
        guard n >= 0 else { throw .current }
        return n
    }

    public func sync() throws(Errno) {
        guard Glibc.fsync(rawValue) == 0 else { throw .current }
    }

    /// Closes the descriptor; not retried on EINTR (Linux has closed it already).
    public func close() throws(Errno) {
        guard Glibc.close(rawValue) == 0 else { throw .current }
    }

    public func status() throws(Errno) -> stat {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { throw .current }
        return info
    }

    /// Cuts the file to `length` bytes; the position stays where it was (see `seek`).
    public func truncate(to length: Int64) throws(Errno) {
        guard ftruncate(rawValue, off_t(length)) == 0 else { throw .current }
    }

    public func seek(to offset: Int64) throws(Errno) {
        guard lseek(rawValue, off_t(offset), SEEK_SET) >= 0 else { throw .current }
    }
}
