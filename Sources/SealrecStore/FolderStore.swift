import Foundation
import SealrecCrypto
import SealrecSystem

/// A store that is a folder (a mounted share, or the demo's embedded default), with the same promises
/// as the S3 store: an object appears under its key only complete, durable and with the sealed
/// SHA-256 (written to a temporary name, fsynced, verified, then linked into place), and a key
/// holding other bytes is never replaced. Stored files are made read-only.
public struct FolderStore: ObjectStore {
    public let root: String

    public init(root: String) { self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root }

    public var description: String { "folder \(root)" }

    @discardableResult
    public func put(file: String, key: String, sha256: Digest, length: Int64, limiter: BandwidthLimiter?) throws(StoreError) -> ObjectInfo {
        let target = try path(for: key)
        if let existing = try head(key: key) { return try same(existing, key: key, sha256: sha256, length: length) }
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .localFile(path: folder, detail: "cannot create the folder: \(error.localizedDescription)")
        }
        let temporary = "\(folder)/.\((target as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        defer { unlink(temporary) }
        let source = try FolderStore.storeError(file) { () throws(UntrustedFileError) in try UntrustedFile(file) }
        let copied: Digest, count: Int64
        do { (copied, count) = try FolderCopy.copy(from: source, key: file, to: temporary, limit: length, limiter: limiter) } catch {
            // Our own file grew after it was sealed: a local problem, not the store's.
            if case .unsafeObject = error { throw .localFile(path: file, detail: "is longer than its recorded \(length) bytes") }
            throw error
        }
        guard count == length else { throw .localFile(path: file, detail: "has \(count) bytes, expected \(length)") }
        guard copied == sha256 else {
            throw .checksumMismatch(key: key, expected: sha256.hex, actual: "\(copied.hex) (bytes read from \(file))")
        }
        chmod(temporary, 0o444)
        // link(2) never replaces an existing name, unlike rename(2): a racing writer cannot be overwritten.
        if link(temporary, target) != 0 {
            guard errno == EEXIST, let existing = try head(key: key) else {
                throw .localFile(path: target, detail: "link: \(String(cString: strerror(errno)))")
            }
            return try same(existing, key: key, sha256: sha256, length: length)
        }
        try? Files.syncFolder(folder)  // best effort: the object is whole either way; this makes its name durable
        // Verify what is now under the key, as a remote store would be verified.
        guard let stored = try head(key: key) else { throw .notFound(key: key) }
        return try same(stored, key: key, sha256: sha256, length: length)
    }

    public func head(key: String) throws(StoreError) -> ObjectInfo? {
        guard let file = try openObject(key) else { return nil }
        let hasher = SHA256Hasher()
        try Self.storeError(key) { () throws(UntrustedFileError) in try file.read(limit: file.size) { hasher.update($0) } }
        return ObjectInfo(key: key, length: file.size, sha256: hasher.finalize())
    }

    @discardableResult
    public func get(key: String, to destination: String, maxBytes: Int64) throws(StoreError) -> ObjectInfo {
        guard let file = try openObject(key) else { throw .notFound(key: key) }
        let (digest, length) = try FolderCopy.copy(from: file, key: key, to: destination, limit: maxBytes)
        return ObjectInfo(key: key, length: length, sha256: digest)
    }

    public func list(prefix: String) throws(StoreError) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var keys: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            var isFolder: ObjCBool = false
            guard !name.hasPrefix("."), FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder),
                  !isFolder.boolValue, relative.hasPrefix(prefix) else { continue }
            keys.append(relative)
        }
        return keys.sorted()
    }

    public func delete(key: String) throws(StoreError) {
        let target = try path(for: key)
        guard unlink(target) == 0 else {
            throw errno == ENOENT ? .notFound(key: key) : .localFile(path: target, detail: "unlink: \(String(cString: strerror(errno)))")
        }
    }

    private func same(_ stored: ObjectInfo, key: String, sha256: Digest, length: Int64) throws(StoreError) -> ObjectInfo {
        guard stored.length == length, stored.sha256 == sha256 else {
            throw .conflictingObject(key: key, detail: "holds \(stored.length) bytes with SHA-256 \(stored.sha256?.hex ?? "?")")
        }
        return stored
    }

    /// Keys are relative paths of plain names: nothing may climb out of the root.
    private func path(for key: String) throws(StoreError) -> String {
        _ = try Self.parts(of: key)
        return root + "/" + key
    }

    private static func parts(of key: String) throws(StoreError) -> [String] {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }) else {
            throw .invalidLocation("key '\(key)' is not a relative path of plain names")
        }
        return parts.map(String.init)
    }

    /// The object under `key` opened for reading, or nil when there is none. Neither the folders on
    /// the way nor the object may be a symbolic link (a stored ROOM/SESSION or segment pointing at
    /// /dev/zero, a FIFO or a file outside the store), and the object must be a regular file.
    private func openObject(_ key: String) throws(StoreError) -> UntrustedFile? {
        let parts = try Self.parts(of: key)
        var folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else {
            if errno == ENOENT { return nil }
            throw .localFile(path: root, detail: "open: \(String(cString: strerror(errno)))")
        }
        defer { close(folder) }
        for (index, part) in parts.dropLast().enumerated() {
            let next = openat(folder, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            guard next >= 0 else {
                if code == ENOENT { return nil }
                let shown = parts.prefix(index + 1).joined(separator: "/")
                if code == ELOOP || code == ENOTDIR {
                    throw .unsafeObject(key: key, detail: "\(shown) is a symbolic link or not a folder; refused (links are not followed)")
                }
                throw .localFile(path: root + "/" + shown, detail: "open: \(String(cString: strerror(code)))")
            }
            close(folder)
            folder = next
        }
        do {
            return try UntrustedFile(parts[parts.count - 1], in: folder, path: root + "/" + key)
        } catch {
            if case .file(let e) = error, e.errno == ENOENT { return nil }
            throw Self.storeError(key, error)
        }
    }

    static func storeError(_ key: String, _ error: UntrustedFileError) -> StoreError {
        switch error {
        case let .file(e): .localFile(path: e.path ?? key, detail: "\(e.call): \(e.reason)")
        case .symbolicLink: .unsafeObject(key: key, detail: "is a symbolic link; refused (links are not followed)")
        case let .notRegular(_, kind): .unsafeObject(key: key, detail: "is \(kind), not a regular file; refused")
        case let .tooLong(_, limit): .unsafeObject(key: key, detail: "holds more than the \(limit) bytes expected; copying stopped there")
        }
    }

    static func storeError<T>(_ key: String, _ body: () throws(UntrustedFileError) -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw storeError(key, error) }
    }
}

/// Copies a file into a new file, hashing the bytes as they are written, and fsyncs it; never more
/// than `limit` bytes (one more byte is an error naming the object).
enum FolderCopy {
    static func copy(from input: UntrustedFile, key: String, to destination: String, limit: Int64,
                     limiter: BandwidthLimiter? = nil) throws(StoreError) -> (Digest, Int64) {
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .localFile(path: destination, detail: "create: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let hasher = SHA256Hasher()
        var copied: Int64 = 0
        var writeError: StoreError?
        do {
            try input.read(limit: limit, chunk: limiter?.chunk ?? 1 << 20) { (chunk) throws(UntrustedFileError) in
                limiter?.take(chunk.count)
                do throws(Errno) { try FileDescriptor(rawValue: output).writeAll(chunk) } catch {
                    writeError = .localFile(path: destination, detail: "write: \(error)")
                    throw .file(SystemError("write", path: destination, error, wording: .pathFirst))
                }
                hasher.update(chunk)
                copied += Int64(chunk.count)
            }
        } catch {
            throw writeError ?? FolderStore.storeError(key, error)
        }
        guard fsync(output) == 0 else { throw .localFile(path: destination, detail: "fsync: \(String(cString: strerror(errno)))") }
        return (hasher.finalize(), copied)
    }
}
