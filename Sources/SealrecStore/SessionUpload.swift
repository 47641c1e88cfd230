import Foundation
import SealrecCrypto

/// Queues a session folder for upload: the public key, every sealed segment (with the length and
/// SHA-256 its manifest entry records), every complete manifest line as its own object, and the
/// whole manifest once it ends with an `end` entry. Safe to repeat: already-queued or stored objects
/// are not sent twice. Used by `sealrec upload`; the daemon queues the same objects as they are sealed.
public enum SessionUpload {
    public struct Summary: Sendable {
        public let layout: SessionLayout
        public let objects: Int
        public let bytes: Int64
        public let closed: Bool
    }

    public static func enqueue(folder: String, into queue: UploadQueue) throws(StoreError) -> Summary {
        let manifestPath = folder + "/manifest.jsonl"
        guard let manifest = FileManager.default.contents(atPath: manifestPath) else {
            throw .localFile(path: manifestPath, detail: "no manifest: not a sealed session folder")
        }
        // Only complete lines: a last line without "\n" is a torn write, never an entry.
        var lines = manifest.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) + [0x0A] }
        lines.removeLast()
        guard let first = lines.first, let session = entry(first), let room = session["room_id"] as? String,
              let sessionID = session["session_id"] as? String else {
            throw .localFile(path: manifestPath, detail: "first line is not a session entry with room_id and session_id")
        }
        let layout = SessionLayout(room: room, session: sessionID)
        var objects = 0
        var bytes: Int64 = 0
        let publicKey = folder + "/room.pub.pem"
        if let key = FileManager.default.contents(atPath: publicKey) {
            try queue.enqueue(bytes: Array(key), key: layout.publicKey)
            objects += 1
            bytes += Int64(key.count)
        }
        var closed = false
        for (seq, line) in lines.enumerated() {
            let fields = entry(line)
            if fields?["type"] as? String == "segment", let name = fields?["file"] as? String,
               let length = (fields?["bytes"] as? NSNumber)?.int64Value,
               let hex = fields?["sha256"] as? String, let digest = Digest(hex: hex) {
                try queue.enqueue(file: folder + "/" + name, key: layout.segment(name), sha256: digest, length: length)
                objects += 1
                bytes += length
            }
            try queue.enqueue(bytes: line, key: layout.manifestEntry(seq))
            objects += 1
            bytes += Int64(line.count)
            closed = fields?["type"] as? String == "end"
        }
        if closed {
            try queue.enqueue(bytes: Array(manifest), key: layout.manifest)
            objects += 1
            bytes += Int64(manifest.count)
            // The HLS playlist is final once the session has ended (it is rewritten while recording):
            // stored for playback, not sealed, so the verifier only notes it.
            if let playlist = FileManager.default.contents(atPath: folder + "/" + SessionLayout.playlistName) {
                try queue.enqueue(bytes: Array(playlist), key: layout.playlist)
                objects += 1
                bytes += Int64(playlist.count)
            }
        }
        return Summary(layout: layout, objects: objects, bytes: bytes, closed: closed)
    }

    private static func entry(_ line: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }
}
