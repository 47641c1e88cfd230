import Foundation
import SealrecAV
import SealrecCrypto

/// One segment file being written: bytes go to disk and into SHA-256 as they pass, so the seal's
/// hash is of exactly what was written, never of a read-back. Written under a `.partial` name and
/// renamed only once complete and durable, so a name without `.partial` is always a whole segment.
final class SegmentFile: ByteSink {
    let folder: String
    let finalName: String
    private let partialPath: String
    private var fd: Int32
    private let hasher = SHA256Hasher()
    private(set) var length: Int64 = 0
    private var syncedLength: Int64 = 0
    private var lastSync = MonotonicClock.now()

    static let partialSuffix = ".partial"

    init(folder: String, name: String) throws {
        self.folder = folder
        finalName = name
        partialPath = folder + "/" + name + SegmentFile.partialSuffix
        fd = try Posix.open(partialPath, O_WRONLY | O_CREAT | O_EXCL)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try Posix.writeAll(fd, bytes, path: partialPath)
        hasher.update(bytes)
        length += Int64(bytes.count)
    }

    /// Makes written fragments durable soon after they land (a power cut then costs at most the
    /// fragment being written), without a sync per write: at most four a second, only when new
    /// bytes arrived.
    func syncIfDue() throws {
        let now = MonotonicClock.now()
        guard length > syncedLength, now - lastSync >= 250_000_000 else { return }
        if fdatasync(fd) != 0 { throw SystemError("fdatasync", path: partialPath) }
        syncedLength = length
        lastSync = now
    }

    /// Makes the file durable under its final name; returns its SHA-256.
    func close() throws -> String {
        try Posix.fsync(fd, path: partialPath)
        let f = fd
        fd = -1
        try Posix.close(f, path: partialPath)
        try Posix.rename(partialPath, folder + "/" + finalName)
        try Posix.fsyncDirectory(folder)
        return hasher.finalize().hex
    }
}
