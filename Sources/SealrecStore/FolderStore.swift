import Foundation
import SealrecCrypto

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
        let copied = try FolderCopy.copy(from: file, to: temporary, length: length, limiter: limiter)
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
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
        // Verify what is now under the key, as a remote store would be verified.
        guard let stored = try head(key: key) else { throw .notFound(key: key) }
        return try same(stored, key: key, sha256: sha256, length: length)
    }

    public func head(key: String) throws(StoreError) -> ObjectInfo? {
        let target = try path(for: key)
        var info = stat()
        guard stat(target, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .localFile(path: target, detail: "stat: \(String(cString: strerror(errno)))")
        }
        let digests = try FileDigests.compute(path: target, length: Int64(info.st_size), md5: false)
        return ObjectInfo(key: key, length: Int64(info.st_size), sha256: digests.sha256)
    }

    @discardableResult
    public func get(key: String, to destination: String) throws(StoreError) -> ObjectInfo {
        let source = try path(for: key)
        var info = stat()
        guard stat(source, &info) == 0 else { throw .notFound(key: key) }
        let digest = try FolderCopy.copy(from: source, to: destination, length: Int64(info.st_size))
        return ObjectInfo(key: key, length: Int64(info.st_size), sha256: digest)
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
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }) else {
            throw .invalidLocation("key '\(key)' is not a relative path of plain names")
        }
        return root + "/" + key
    }
}

/// Copies a file into a new file, hashing the bytes as they are written, and fsyncs it.
enum FolderCopy {
    static func copy(from source: String, to destination: String, length: Int64, limiter: BandwidthLimiter? = nil) throws(StoreError) -> Digest {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .localFile(path: source, detail: "open: \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .localFile(path: destination, detail: "create: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: limiter?.chunk ?? 1 << 20)
        var copied: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .localFile(path: source, detail: "read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            limiter?.take(n)
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw .localFile(path: destination, detail: "write: \(String(cString: strerror(errno)))") }
                written += w
            }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            copied += Int64(n)
        }
        guard copied == length else {
            throw .localFile(path: source, detail: "has \(copied) bytes, expected \(length)")
        }
        guard fsync(output) == 0 else { throw .localFile(path: destination, detail: "fsync: \(String(cString: strerror(errno)))") }
        return hasher.finalize()
    }
}
