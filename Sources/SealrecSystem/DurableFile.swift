import Foundation

/// Durable writes for the recorder's own files, by path: each failure names the call and the
/// path ("fsync PATH: reason"). A file is durable once its bytes are fsynced and then its folder
/// is fsynced after it was created or renamed into place.
public enum Files {
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(SystemError) -> FileDescriptor {
        do { return try FileDescriptor.open(path, flags, mode: mode) } catch { throw SystemError("open", path: path, error) }
    }

    public static func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        do { try fd.writeAll(bytes) } catch { throw SystemError("write", path: path, error) }
    }

    public static func fsync(_ fd: FileDescriptor, path: String) throws(SystemError) {
        do { try fd.sync() } catch { throw SystemError("fsync", path: path, error) }
    }

    public static func close(_ fd: FileDescriptor, path: String) throws(SystemError) {
        do { try fd.close() } catch { throw SystemError("close", path: path, error) }
    }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", path: "\(from) -> \(to)") }
    }

    /// Makes a folder's entries (new or renamed files) durable.
    public static func syncFolder(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { try? fd.close() }
        try fsync(fd, path: path)
    }

    /// Replaces (or creates) a small file atomically: the bytes go to `PATH.tmp` (any leftover of
    /// a crash removed first, never followed if it is a link), which is fsynced, renamed over `path`,
    /// and the folder fsynced, so after a crash the file holds its old bytes or its new ones.
    public static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try writeAll(fd, bytes, path: temporary)
            try fsync(fd, path: temporary)
        } catch {
            try? fd.close()
            throw error
        }
        try close(fd, path: temporary)
        try rename(temporary, path)
        try syncFolder(parentFolder(of: path))
    }

    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { (raw) -> SystemError? in
            do throws(SystemError) { try writeAtomically(raw, to: path, mode: mode); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws(SystemError) {
        try writeAtomically([UInt8](data), to: path, mode: mode)
    }

    /// The folder holding `path` ("." for a bare name, "/" for a file at the root).
    public static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = path[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }
}

/// An evidence file with explicit durability: created exclusively (never replacing an existing
/// one) and `sync()`ed before anyone is told it is written. Failures read "PATH: write failed: reason".
public final class DurableFile {
    public let path: String
    private let fd: FileDescriptor

    private init(path: String, fd: FileDescriptor) {
        self.path = path
        self.fd = fd
    }

    deinit { try? fd.close() }

    private func failure(_ call: String, _ code: Errno) -> SystemError {
        SystemError(call, path: path, code, wording: .pathFirst)
    }

    /// Creates a new file that must not exist yet; the mode is applied at creation, so the file
    /// is never more permissive than `mode` at any moment (umask can only narrow it).
    public static func createNew(_ path: String, mode: mode_t) throws(SystemError) -> DurableFile {
        do { return DurableFile(path: path, fd: try .open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode)) } catch {
            throw SystemError("create", path: path, error, wording: .pathFirst)
        }
    }

    /// Opens an existing file for reading and appending (used to resume a manifest).
    public static func openExisting(_ path: String) throws(SystemError) -> DurableFile {
        do { return DurableFile(path: path, fd: try .open(path, O_RDWR | O_APPEND)) } catch {
            throw SystemError("open", path: path, error, wording: .pathFirst)
        }
    }

    public func write(_ bytes: [UInt8]) throws(SystemError) {
        do { try fd.writeAll(bytes) } catch { throw failure("write", error) }
    }

    public func sync() throws(SystemError) {
        do { try fd.sync() } catch { throw failure("fsync", error) }
    }

    /// Cuts the file to `length` bytes (drops a torn trailing line) and writes on from there.
    public func truncate(to length: Int64) throws(SystemError) {
        do { try fd.truncate(to: length) } catch { throw failure("ftruncate", error) }
        do { try fd.seek(to: length) } catch { throw failure("lseek", error) }
    }

    /// The current size of the file.
    public func size() throws(SystemError) -> Int64 {
        do { return Int64(try fd.status().st_size) } catch { throw failure("fstat", error) }
    }

    /// Makes a directory entry (a just-created file) durable: fsync on the directory itself.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd: FileDescriptor
        do { fd = try .open(path, O_RDONLY | O_DIRECTORY) } catch {
            throw SystemError("open directory", path: path, error, wording: .pathFirst)
        }
        defer { try? fd.close() }
        do { try fd.sync() } catch { throw SystemError("fsync directory", path: path, error, wording: .pathFirst) }
    }

    /// Writes a whole new file exclusively, syncs it and its directory.
    public static func writeNew(_ path: String, bytes: [UInt8], mode: mode_t) throws(SystemError) {
        let file = try createNew(path, mode: mode)
        try file.write(bytes)
        try file.sync()
        try syncDirectory(Files.parentFolder(of: path))
    }
}
