import Foundation
import SealrecFormat
import SealrecSystem

/// Downloads one session from a store whose root is the session (`s3://BUCKET/ROOM/SESSION`,
/// `file:///STORE/ROOM/SESSION`) into a folder `sealrec verify` accepts: every object streamed to
/// disk and hashed on the way, the manifest reassembled from its per-entry objects.
///
/// The store is not trusted: the manifest comes first, within the format's size limits, and is
/// handed to the caller's `manifestCheck` (signatures by a trusted key, chain) before anything else
/// is downloaded. Every segment is then copied only up to the length the manifest states for it (a
/// longer or endless object fails the fetch at one byte past that length), the other objects within
/// fixed bounds, few in number, and all of it only when the destination has room for it.
public enum SessionFetcher {
    public struct Summary: Sendable {
        public let files: Int
        public let bytes: Int64
        public let manifestEntries: Int
    }

    /// The most bytes each kind of object may have.
    public struct Limits: Sendable {
        /// The whole manifest (and the sum of its entries).
        public var manifestBytes: Int64
        /// One manifest entry object: one line and its newline.
        public var entryBytes: Int64
        /// The public key copy.
        public var keyBytes: Int64
        /// Anything else the manifest does not state a length for (the playlist, stray files).
        public var otherBytes: Int64

        public init(manifestBytes: Int64, entryBytes: Int64, keyBytes: Int64, otherBytes: Int64) {
            self.manifestBytes = manifestBytes
            self.entryBytes = entryBytes
            self.keyBytes = keyBytes
            self.otherBytes = otherBytes
        }
    }

    /// Objects the manifest does not state a length for (the playlist, stray files): how many may be
    /// fetched and how many bytes they may hold together, so a store cannot pad the download with them.
    public static let maxUnlistedObjects = 16
    public static let maxUnlistedTotalBytes: Int64 = 256 << 20
    /// Left free on the destination filesystem after the largest download the manifest allows.
    public static let freeSpaceMargin: Int64 = 64 << 20

    /// `manifestCheck` gets the manifest before any segment is downloaded and returns what is wrong
    /// with it, or nil to go on; a problem refuses the fetch and leaves nothing in `folder`.
    public static func fetch(from store: any ObjectStore, into folder: String, limits: Limits,
                             manifestCheck: ((Data) -> String?)? = nil) throws(StoreError) -> Summary {
        let keys = try store.list(prefix: "")
        guard !keys.isEmpty else { throw .notFound(key: "\(store.description) (no objects: wrong bucket, room or session?)") }
        // A name no session holds (control characters, bidi overrides) is refused before anything
        // lands on the reviewer's disk under it.
        if let hostile = keys.first(where: { !$0.unicodeScalars.allSatisfy(SafeText.isPrintable) }) {
            throw .unsafeObject(key: hostile, detail: "has a name with control or invisible characters; refused")
        }
        var files = 0
        var bytes: Int64 = 0
        let entryKeys = keys.filter { $0.hasPrefix(SessionLayout.entryFolder) }
        let manifest: Data
        if entryKeys.isEmpty {
            // No manifest at all: the files are still fetched (bounded) and the verifier says what is missing.
            if keys.contains(SessionFiles.manifest) {
                let got = try store.get(key: SessionFiles.manifest, to: folder + "/" + SessionFiles.manifest, maxBytes: limits.manifestBytes)
                files += 1
                bytes += got.length
            }
            manifest = FileManager.default.contents(atPath: folder + "/" + SessionFiles.manifest) ?? Data()
        } else {
            manifest = try joinEntries(entryKeys, from: store, folder: folder, limits: limits)
            bytes += Int64(manifest.count)
            if keys.contains(SessionFiles.manifest) {
                // The closing snapshot must be exactly the entries joined; anything else is tampering or a bug.
                let whole = folder + "/.manifest-whole.jsonl"
                try store.get(key: SessionFiles.manifest, to: whole, maxBytes: Int64(manifest.count))
                let snapshot = FileManager.default.contents(atPath: whole)
                unlink(whole)
                guard snapshot == manifest else {
                    throw .checksumMismatch(key: SessionFiles.manifest, expected: "the manifest entries joined in order",
                                            actual: "a different whole-manifest object (\(snapshot?.count ?? 0) bytes)")
                }
            }
            guard FileManager.default.createFile(atPath: folder + "/" + SessionFiles.manifest, contents: manifest) else {
                throw .localFile(path: folder + "/" + SessionFiles.manifest, detail: "cannot write the reassembled manifest")
            }
        }
        if let manifestCheck, let problem = manifestCheck(manifest) {
            unlink(folder + "/" + SessionFiles.manifest)
            throw .unsafeObject(key: SessionFiles.manifest, detail: "is not a manifest signed by a trusted key: \(problem); nothing else was downloaded")
        }
        let stated = statedLengths(manifest)
        let rest = keys.filter { !$0.hasPrefix(SessionLayout.entryFolder) && !$0.contains("/") && $0 != SessionFiles.manifest }
        let unlisted = rest.filter { stated[$0] == nil && $0 != SessionFiles.publicKey }
        guard unlisted.count <= maxUnlistedObjects else {
            throw .unsafeObject(key: store.description, detail: "holds \(unlisted.count) objects the manifest does not list, "
                                + "more than the \(maxUnlistedObjects) a session may have; nothing else was downloaded")
        }
        let claimed = rest.reduce(Int64(0)) { $0.saturatingSum(stated[$1] ?? 0) }
        let others = min(Int64(unlisted.count).saturatingProduct(limits.otherBytes), maxUnlistedTotalBytes)
            .saturatingSum(rest.contains(SessionFiles.publicKey) && stated[SessionFiles.publicKey] == nil ? limits.keyBytes : 0)
        let needed = claimed.saturatingSum(others)
        let free = freeBytes(folder)
        guard needed <= free - freeSpaceMargin else {
            throw .localFile(path: folder, detail: "the manifest states \(claimed) bytes of segments (\(needed) with the other "
                             + "objects' bounds), but the filesystem has only \(free) bytes free, \(freeSpaceMargin) of which are "
                             + "kept free; nothing else was downloaded")
        }
        var unlistedBudget = maxUnlistedTotalBytes
        for key in rest {
            let isUnlisted = stated[key] == nil && key != SessionFiles.publicKey
            let limit = stated[key] ?? (isUnlisted ? min(limits.otherBytes, unlistedBudget) : limits.keyBytes)
            let got = try store.get(key: key, to: folder + "/" + key, maxBytes: limit)
            if isUnlisted { unlistedBudget -= got.length }
            files += 1
            bytes += got.length
        }
        return Summary(files: files, bytes: bytes, manifestEntries: entryKeys.count)
    }

    /// Entries in seq order; a missing number stops the join there (the verifier then reports the
    /// manifest as not closed or a broken chain, which is the truth about what the store holds).
    private static func joinEntries(_ keys: [String], from store: any ObjectStore, folder: String, limits: Limits) throws(StoreError) -> Data {
        var bySeq: [Int: String] = [:]
        for key in keys {
            let name = key.dropFirst(SessionLayout.entryFolder.count)
            if name.hasSuffix(".jsonl"), let seq = Int(name.dropLast(".jsonl".count)) { bySeq[seq] = key }
        }
        var manifest = Data()
        let scratch = folder + "/.entry"
        var seq = 0
        while let key = bySeq[seq] {
            unlink(scratch)
            try store.get(key: key, to: scratch, maxBytes: limits.entryBytes)
            manifest.append(FileManager.default.contents(atPath: scratch) ?? Data())
            guard Int64(manifest.count) <= limits.manifestBytes else {
                unlink(scratch)
                throw .unsafeObject(key: SessionLayout.entryFolder, detail: "holds more than the \(limits.manifestBytes) bytes a manifest may have; fetching stopped there")
            }
            seq += 1
        }
        unlink(scratch)
        return manifest
    }

    /// Bytes an unprivileged process may still write on the filesystem holding `folder`.
    static func freeBytes(_ folder: String) -> Int64 { DiskSpace.freeBytes(folder) ?? 0 }

    /// The byte length each segment line of the (not yet verified) manifest states for its file:
    /// only a bound for the copy; the verifier checks lengths, hashes and signatures afterwards.
    static func statedLengths(_ manifest: Data) -> [String: Int64] {
        var lengths: [String: Int64] = [:]
        for line in manifest.split(separator: 10) {
            guard let entry = try? SignedLine(ArraySlice(line)),
                  entry["type"]?.stringValue == "segment", let file = entry["file"]?.stringValue,
                  let length = entry["bytes"]?.int64, length >= 0 else { continue }
            lengths[file] = max(lengths[file] ?? 0, length)
        }
        return lengths
    }
}

private extension Int64 {
    func saturatingSum(_ other: Int64) -> Int64 { let (sum, overflow) = addingReportingOverflow(other); return overflow ? .max : sum }
    func saturatingProduct(_ other: Int64) -> Int64 { let (product, overflow) = multipliedReportingOverflow(by: other); return overflow ? .max : product }
}
