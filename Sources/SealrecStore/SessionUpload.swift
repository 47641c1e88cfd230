import Foundation
import SealrecCrypto

/// Queues a whole session folder for upload, the same objects the daemon queues one by one while
/// recording (`LiveSessionUpload`): public key, every sealed segment (with the length and SHA-256
/// its manifest entry records), every complete manifest line, and after an `end` entry the whole
/// manifest and playlist. Safe to repeat: already-queued or stored objects are not sent twice.
public enum SessionUpload {
    public struct Summary: Sendable {
        public let layout: SessionLayout
        public let entries: Int
        public let segments: Int
        public let closed: Bool
    }

    public static func enqueue(folder: String, into queue: UploadQueue) throws(StoreError) -> Summary {
        let manifestPath = folder + "/manifest.jsonl"
        guard let manifest = FileManager.default.contents(atPath: manifestPath) else {
            throw .localFile(path: manifestPath, detail: "no manifest: not a sealed session folder")
        }
        // Only complete lines: a last line without "\\n" is a torn write, never an entry.
        var lines = manifest.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) + [0x0A] }
        lines.removeLast()
        guard let first = lines.first, let session = entry(first), let room = session["room_id"] as? String,
              let sessionID = session["session_id"] as? String else {
            throw .localFile(path: manifestPath, detail: "first line is not a session entry with room_id and session_id")
        }
        let live = LiveSessionUpload(queue: queue, layout: SessionLayout(room: room, session: sessionID))
        if let key = FileManager.default.contents(atPath: folder + "/room.pub.pem") { try live.publicKey(pem: Array(key)) }
        var segments = 0
        var closed = false
        for (seq, line) in lines.enumerated() {
            let fields = entry(line)
            if fields?["type"] as? String == "segment", let name = fields?["file"] as? String,
               let length = (fields?["bytes"] as? NSNumber)?.int64Value,
               let hex = fields?["sha256"] as? String, let digest = Digest(hex: hex) {
                try live.segment(path: folder + "/" + name, sha256: digest, length: length)
                segments += 1
            }
            try live.manifestEntry(seq: seq, line: line)
            closed = fields?["type"] as? String == "end"
        }
        if closed { try live.sessionEnded(folder: folder) }
        return Summary(layout: live.layout, entries: lines.count, segments: segments, closed: closed)
    }

    private static func entry(_ line: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }
}
