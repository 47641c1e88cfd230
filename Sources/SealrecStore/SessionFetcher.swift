import Foundation

/// Downloads one session from a store whose root is the session (`s3://BUCKET/ROOM/SESSION`,
/// `file:///STORE/ROOM/SESSION`) into a folder `sealrec verify` accepts: every object streamed to
/// disk and hashed on the way, the manifest reassembled from its per-entry objects.
public enum SessionFetcher {
    public struct Summary: Sendable {
        public let files: Int
        public let bytes: Int64
        public let manifestEntries: Int
    }

    public static func fetch(from store: any ObjectStore, into folder: String) throws(StoreError) -> Summary {
        let keys = try store.list(prefix: "")
        guard !keys.isEmpty else { throw .notFound(key: "\(store.description) (no objects: wrong bucket, room or session?)") }
        var files = 0
        var bytes: Int64 = 0
        let entryKeys = keys.filter { $0.hasPrefix(SessionLayout.entryFolder) }
        for key in keys where !key.hasPrefix(SessionLayout.entryFolder) && !key.contains("/") {
            let target = folder + "/" + (key == "manifest.jsonl" && !entryKeys.isEmpty ? ".manifest-whole.jsonl" : key)
            let got = try store.get(key: key, to: target)
            files += 1
            bytes += got.length
        }
        if !entryKeys.isEmpty {
            let manifest = try joinEntries(entryKeys, from: store, folder: folder)
            bytes += Int64(manifest.count)
            let whole = folder + "/.manifest-whole.jsonl"
            // The closing snapshot must be exactly the entries joined; anything else is tampering or a bug.
            if let snapshot = FileManager.default.contents(atPath: whole) {
                unlink(whole)
                guard snapshot == manifest else {
                    throw .checksumMismatch(key: "manifest.jsonl", expected: "the manifest entries joined in order",
                                            actual: "a different whole-manifest object (\(snapshot.count) bytes)")
                }
            }
            guard FileManager.default.createFile(atPath: folder + "/manifest.jsonl", contents: manifest) else {
                throw .localFile(path: folder + "/manifest.jsonl", detail: "cannot write the reassembled manifest")
            }
        }
        return Summary(files: files, bytes: bytes, manifestEntries: entryKeys.count)
    }

    /// Entries in seq order; a missing number stops the join there (the verifier then reports the
    /// manifest as not closed or a broken chain, which is the truth about what the store holds).
    private static func joinEntries(_ keys: [String], from store: any ObjectStore, folder: String) throws(StoreError) -> Data {
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
            try store.get(key: key, to: scratch)
            manifest.append(FileManager.default.contents(atPath: scratch) ?? Data())
            seq += 1
        }
        unlink(scratch)
        return manifest
    }
}
