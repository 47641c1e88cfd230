import SealrecCrypto

/// What a store says it holds under a key.
public struct ObjectInfo: Sendable, Equatable {
    public let key: String
    public let length: Int64
    /// SHA-256 of the whole object when the store reports one (S3 `x-amz-checksum-sha256` of a single
    /// PUT, or computed by a folder store); nil when the store keeps only a composite or no checksum.
    public let sha256: Digest?

    public init(key: String, length: Int64, sha256: Digest?) {
        self.key = key
        self.length = length
        self.sha256 = sha256
    }
}

/// A place recordings are kept: S3-compatible object storage or a folder. Keys are relative to the
/// store's own root (bucket prefix or folder) and use `/` between parts. Implementations are
/// thread-safe: the upload queue calls them from several workers at once.
public protocol ObjectStore: Sendable, CustomStringConvertible {
    /// Stores the file under `key` unless the store already holds exactly these bytes (then it is a
    /// no-op: keys are idempotent). Returns only after the store has confirmed length and checksum.
    /// Never overwrites a key holding other bytes (`conflictingObject`).
    /// `limiter` paces the bytes sent (nil: as fast as the link goes); it may be shared by transfers.
    @discardableResult
    func put(file: String, key: String, sha256: Digest, length: Int64, limiter: BandwidthLimiter?) throws(StoreError) -> ObjectInfo

    /// What the store holds under `key`, or nil when nothing.
    func head(key: String) throws(StoreError) -> ObjectInfo?

    /// Downloads `key` into a new file at `path`, hashing while it streams; returns length and SHA-256
    /// of the bytes actually written. An object longer than `maxBytes` is an error (`unsafeObject`)
    /// once one byte more has arrived: a hostile store cannot fill the disk through an endless object.
    @discardableResult
    func get(key: String, to path: String, maxBytes: Int64) throws(StoreError) -> ObjectInfo

    /// Every key starting with `prefix`, sorted.
    func list(prefix: String) throws(StoreError) -> [String]

    /// Removes `key` (tests and tooling; the uploader never deletes remote objects).
    func delete(key: String) throws(StoreError)
}
