import Foundation

/// What access codes need from the central store. Objects are written once and never replaced
/// (the store may be WORM): grants, revocations and access-log entries each get a key of their own.
///   grants/GRANT_ID.json            signed grant
///   revocations/GRANT_ID.json       signed revocation
///   access-log/SESSION/TIME-RAND.json   one entry per fetch attempt
public protocol GrantStore: Sendable {
    /// The object, or nil when there is none.
    func read(_ key: String) throws -> Data?
    /// Creates an object; an existing key is an error (never overwritten).
    func create(_ key: String, _ data: Data) throws
    func list(prefix: String) throws -> [String]
    /// The session's manifest as stored.
    func manifest(ofSession id: String) throws -> Data
    /// The whole session as a folder `sealrec verify` reads.
    func downloadSession(_ id: String, into folder: String) throws
    /// How to name this store in messages.
    var name: String { get }
}

public struct StoreError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A folder as the central store (a mounted share; the demo's embedded default). Sessions live in
/// ROOT/ROOM/SESSION/ as the room wrote them.
public struct FolderGrantStore: GrantStore {
    public let root: String
    public init(root: String) { self.root = root }
    public var name: String { root }

    public func read(_ key: String) throws -> Data? {
        let path = root + "/" + key
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    public func create(_ key: String, _ data: Data) throws {
        let path = root + "/" + key
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    public func list(prefix: String) throws -> [String] {
        let dir = root + "/" + prefix
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.sorted().map { prefix + ($0) }
    }

    func sessionFolder(_ id: String) throws -> String {
        guard !id.contains("/"), !id.hasPrefix("."), !id.isEmpty else { throw StoreError("'\(id)' is not a session id") }
        for room in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let candidate = root + "/" + room + "/" + id
            if FileManager.default.fileExists(atPath: candidate + "/manifest.jsonl") { return candidate }
        }
        throw StoreError("session \(id) is not in the store \(root)")
    }

    public func manifest(ofSession id: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try sessionFolder(id) + "/manifest.jsonl"))
    }

    public func downloadSession(_ id: String, into folder: String) throws {
        let source = try sessionFolder(id)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source).sorted() {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: folder + "/" + name)
        }
    }
}
