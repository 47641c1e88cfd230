import Foundation
import SealrecAV
import SealrecCrypto
import SealrecSystem

/// One segment file being written: bytes go to disk and into SHA-256 as they pass, so the seal's
/// hash is of exactly what was written, never of a read-back. Written under a `.partial` name and
/// renamed only once complete and durable, so a name without `.partial` is always a whole segment.
final class SegmentFile: ByteSink {
    let folder: String
    let finalName: String
    private let partialPath: String
    private var fd: FileDescriptor?
    private let hasher = SHA256Hasher()
    private(set) var length: Int64 = 0
    private var syncedLength: Int64 = 0
    private var lastSync = MonotonicClock.now()
    private let inFlight = SyncFlag()
    /// Periodic syncs run here, so a slow disk never holds up the muxer writing newer fragments.
    private static let syncQueue = DispatchQueue(label: "segment sync", qos: .utility)

    static let partialSuffix = ".partial"

    init(folder: String, name: String) throws {
        self.folder = folder
        finalName = name
        partialPath = folder + "/" + name + SegmentFile.partialSuffix
        fd = try Files.open(partialPath, O_WRONLY | O_CREAT | O_EXCL)
    }

    deinit { try? fd?.close() }

    /// A write to this file failed part-way: nothing more may be appended after the torn bytes
    /// (salvage finds the last complete fragment by walking the boxes from the start).
    private(set) var failed = false

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !failed, let fd else { throw SystemError("write", path: partialPath, errno: EIO) }
        do { try Files.writeAll(fd, bytes, path: partialPath) } catch { failed = true; throw error }
        hasher.update(bytes)
        length += Int64(bytes.count)
    }

    /// Makes written fragments durable soon after they land (a power cut then costs about the
    /// fragment being written), without a sync per write: at most four a second, only when new
    /// bytes arrived, on a background queue. A failing disk still surfaces: close throws, with a
    /// background sync's error if one met it.
    func syncIfDue() {
        let now = MonotonicClock.now()
        guard let fd, length > syncedLength, now - lastSync >= 250_000_000 else { return }
        guard inFlight.claim() else { return }
        syncedLength = length
        lastSync = now
        let copy = dup(fd.rawValue)  // the muxer may close its descriptor while the sync runs
        guard copy >= 0 else { inFlight.release(); return }
        let flag = inFlight
        SegmentFile.syncQueue.async {
            // The copy shares the open file: a write-back error reported here is not reported
            // again to the fsync at close, so it is kept for close to throw.
            if fdatasync(copy) != 0 { flag.fail(errno) }
            Glibc.close(copy)
            flag.release()
        }
    }

    /// After a write error: stops writing and closes the file as it is, under its `.partial` name,
    /// for `SalvagedSegment` to cut back to its last complete fragment.
    func abandon() {
        guard let fd else { return }
        try? fd.sync()  // best effort: the file system has just failed us
        try? fd.close()
        self.fd = nil
    }

    /// Makes the file durable under its final name; returns its SHA-256.
    func close() throws -> String {
        inFlight.waitUntilIdle()  // this file's background sync, if one is running, reports first
        if let failed = inFlight.failure { throw SystemError("fdatasync", path: partialPath, errno: failed) }
        guard let f = fd else { throw SystemError("close", path: partialPath, errno: EBADF) }
        try Files.fsync(f, path: partialPath)
        fd = nil
        try Files.close(f, path: partialPath)
        try Files.rename(partialPath, folder + "/" + finalName)
        try Files.syncFolder(folder)
        return hasher.finalize().hex
    }
}

/// At most one background sync per file at a time, and the first error one of them met.
final class SyncFlag: @unchecked Sendable {
    private let lock = NSCondition()
    private var busy = false
    private var error: Int32?
    var failure: Int32? { lock.lock(); defer { lock.unlock() }; return error }
    func fail(_ code: Int32) { lock.lock(); if error == nil { error = code }; lock.unlock() }
    func claim() -> Bool { lock.lock(); defer { lock.unlock() }; if busy { return false }; busy = true; return true }
    func release() { lock.lock(); busy = false; lock.broadcast(); lock.unlock() }
    func waitUntilIdle() { lock.lock(); while busy { lock.wait() }; lock.unlock() }
}
