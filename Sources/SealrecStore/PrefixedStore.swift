import SealrecCrypto

/// A view of a store below a key prefix: `ROOM/SESSION/` of the central store is then the root
/// that `SessionFetcher` expects.
public struct PrefixedStore: ObjectStore {
    public let base: any ObjectStore
    public let prefix: String

    public init(_ base: any ObjectStore, prefix: String) {
        self.base = base
        self.prefix = prefix.hasSuffix("/") || prefix.isEmpty ? prefix : prefix + "/"
    }

    public var description: String { "\(base.description)/\(prefix)" }

    public func put(file: String, key: String, sha256: Digest, length: Int64, limiter: BandwidthLimiter?) throws(StoreError) -> ObjectInfo {
        try base.put(file: file, key: prefix + key, sha256: sha256, length: length, limiter: limiter)
    }
    public func head(key: String) throws(StoreError) -> ObjectInfo? { try base.head(key: prefix + key) }
    public func get(key: String, to path: String, maxBytes: Int64) throws(StoreError) -> ObjectInfo {
        try base.get(key: prefix + key, to: path, maxBytes: maxBytes)
    }
    public func list(prefix p: String) throws(StoreError) -> [String] {
        try base.list(prefix: prefix + p).map { String($0.dropFirst(prefix.count)) }
    }
    public func delete(key: String) throws(StoreError) { try base.delete(key: prefix + key) }
}
