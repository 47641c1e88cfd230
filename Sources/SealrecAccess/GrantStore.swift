import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecSeal
import SealrecStore

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
    /// The whole session as a folder `sealrec verify` reads; with `trusted` keys, only once its
    /// manifest is signed by one of them.
    func downloadSession(_ id: String, into folder: String, trusted: [RoomPublicKey]?) throws
    /// How to name this store in messages.
    var name: String { get }
}

public struct GrantStoreError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The central store (S3 or a folder, see `StoreLocation`) as a grant store. Sessions are found
/// under ROOM/SESSION/ as the uploader lays them out (per-entry manifest objects, then the whole
/// manifest once the session has ended), or as plain session folders.
public struct ObjectGrantStore: GrantStore {
    public let store: any ObjectStore
    public init(store: any ObjectStore) { self.store = store }
    public var name: String { store.description }

    /// Grants, revocations and access-log entries are a few hundred bytes; more is not read.
    public static let recordBytes: Int64 = 64 * 1024

    public func read(_ key: String) throws -> Data? { try read(key, maxBytes: Self.recordBytes) }

    func read(_ key: String, maxBytes: Int64) throws -> Data? {
        guard try store.head(key: key) != nil else { return nil }
        let temp = NSTemporaryDirectory() + "sealrec-get-\(UUID().uuidString)"
        defer { unlink(temp) }
        try store.get(key: key, to: temp, maxBytes: maxBytes)
        return try Data(contentsOf: URL(fileURLWithPath: temp))
    }

    /// Written once: a key that already holds other bytes is refused by the store itself.
    public func create(_ key: String, _ data: Data) throws {
        let temp = NSTemporaryDirectory() + "sealrec-put-\(UUID().uuidString)"
        defer { unlink(temp) }
        try data.write(to: URL(fileURLWithPath: temp))
        try store.put(file: temp, key: key, sha256: SHA256Hasher.hash([UInt8](data)), length: Int64(data.count), limiter: nil)
    }

    public func list(prefix: String) throws -> [String] { try store.list(prefix: prefix) }

    /// ROOM/SESSION/ of a session id (the grant names the session; the room is found from the store).
    func sessionPrefix(_ id: String) throws -> String {
        guard !id.contains("/"), !id.hasPrefix("."), !id.isEmpty else { throw GrantStoreError("'\(id)' is not a session id") }
        for key in try store.list(prefix: "") {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count >= 3, parts[1] == Substring(id), parts[2].hasPrefix("manifest") { return "\(parts[0])/\(id)/" }
        }
        throw GrantStoreError("session \(id) is not in the store \(store.description)")
    }

    public func manifest(ofSession id: String) throws -> Data {
        let session = PrefixedStore(store, prefix: try sessionPrefix(id))
        let limits = SessionFetcher.Limits.manifestFormat
        if let whole = try ObjectGrantStore(store: session).read(SessionFiles.manifest, maxBytes: limits.manifestBytes) { return whole }
        // Still recording, or not yet closed in the store: join the per-entry objects.
        var joined = Data()
        for key in try session.list(prefix: SessionLayout.entryFolder) {
            joined += try ObjectGrantStore(store: session).read(key, maxBytes: limits.entryBytes) ?? Data()
            guard Int64(joined.count) <= limits.manifestBytes else { throw GrantStoreError("the manifest of session \(id) in the store is over \(limits.manifestBytes) bytes") }
        }
        return joined
    }

    /// With `trusted` keys the manifest must be signed by one of them (and chained) before any
    /// segment is downloaded: the lengths it states bound the download.
    public func downloadSession(_ id: String, into folder: String, trusted: [RoomPublicKey]?) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = try SessionFetcher.fetch(from: PrefixedStore(store, prefix: try sessionPrefix(id)), into: folder, limits: .manifestFormat,
                                     manifestCheck: trusted.map { keys in { ManifestCheck.signedBy(trusted: keys, manifestBytes: $0) } })
    }
}

extension SessionFetcher.Limits {
    /// The manifest format's own limits (MANIFEST.md); a key copy is at most what a key file may be.
    public static let manifestFormat = SessionFetcher.Limits(
        manifestBytes: ManifestFormat.maxManifestBytes, entryBytes: Int64(SignedLine.maxLineBytes) + 1,
        keyBytes: 64 * 1024, otherBytes: ManifestFormat.maxManifestBytes)
}
