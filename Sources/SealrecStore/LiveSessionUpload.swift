import Foundation
import SealrecCrypto
import SealrecFormat

/// Queues one session's objects as they come into being, for the daemon's sealer: the public key at
/// the start, each segment and each manifest entry the moment it is sealed, and the whole manifest and
/// playlist once the session has ended. Every call only writes to the spool (no network).
public struct LiveSessionUpload: Sendable {
    public let queue: UploadQueue
    public let layout: SessionLayout

    public init(queue: UploadQueue, layout: SessionLayout) {
        self.queue = queue
        self.layout = layout
    }

    public func publicKey(pem: [UInt8]) throws(StoreError) {
        try queue.enqueue(bytes: pem, key: layout.publicKey)
    }

    /// A sealed segment file; it must stay unchanged until uploaded (and the local retention has passed).
    public func segment(path: String, sha256: Digest, length: Int64) throws(StoreError) {
        try queue.enqueue(file: path, key: layout.segment((path as NSString).lastPathComponent), sha256: sha256, length: length)
    }

    /// One manifest line exactly as written, with its trailing "\\n".
    public func manifestEntry(seq: Int, line: [UInt8]) throws(StoreError) {
        try queue.enqueue(bytes: line, key: layout.manifestEntry(seq))
    }

    /// After the `end` entry: the whole manifest (a convenience copy; the entries are the record) and
    /// the final playlist, if the folder has one.
    public func sessionEnded(folder: String) throws(StoreError) {
        let manifestPath = folder + "/" + SessionFiles.manifest
        guard let manifest = FileManager.default.contents(atPath: manifestPath) else {
            throw .localFile(path: manifestPath, detail: "cannot read the closed manifest")
        }
        try queue.enqueue(bytes: Array(manifest), key: layout.manifest)
        // The HLS playlist is final once the session has ended (it is rewritten while recording):
        // stored for playback, not sealed, so the verifier only notes it.
        if let playlist = FileManager.default.contents(atPath: folder + "/" + SessionFiles.playlist) {
            try queue.enqueue(bytes: Array(playlist), key: layout.playlist)
        }
    }
}
