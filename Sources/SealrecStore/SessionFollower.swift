import Foundation
import SealrecCrypto
import SealrecFormat

/// Follows a session folder as it is being sealed and queues what is new on each `poll()`: the
/// public key, then for every new complete manifest line its segment (with the length and SHA-256
/// the line records) and the line itself, and after the `end` line the whole manifest and playlist.
///
/// The daemon calls `poll()` after each thing its sealer writes (it reads only the manifest's new
/// bytes, so it is cheap); `sealrec upload` polls a finished folder once. A follower started afresh
/// on a folder (after a restart) queues everything again: the queue and the store's idempotent keys
/// make that cost a HEAD per object, never a duplicate. Once the `end` entry is queued the queue
/// records the folder as done (`markSessionQueued`), so a restart walks only folders not yet done.
public final class SessionFollower: @unchecked Sendable {
    public let folder: String
    private let queue: UploadQueue
    private var live: LiveSessionUpload?
    private var consumed = 0
    private var nextSeq = 0
    public private(set) var segments = 0
    public private(set) var ended = false

    public init(folder: String, queue: UploadQueue) {
        self.folder = folder
        self.queue = queue
    }

    public var layout: SessionLayout? { live?.layout }
    public var entries: Int { nextSeq }

    /// Queues what appeared since the last call; returns how many manifest entries were new.
    @discardableResult
    public func poll() throws(StoreError) -> Int {
        let manifestPath = folder + "/" + SessionFiles.manifest
        guard !ended, let manifest = Self.bytes(of: manifestPath, from: consumed), !manifest.isEmpty else { return 0 }
        // Only complete lines: a last line without "\n" is still being written (or torn), never an entry.
        guard let lastNewline = manifest.lastIndex(of: 0x0A) else { return 0 }
        let fresh = manifest[...lastNewline]
        var count = 0
        for raw in fresh.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            let line = Array(raw) + [0x0A]
            // Read by the manifest's strict rules; an unreadable line is still queued (the verifier judges it).
            let fields = try? SignedLine(raw)
            let upload = try uploader(firstLine: fields, path: manifestPath)
            if fields?["type"]?.stringValue == "segment", let name = fields?["file"]?.stringValue,
               let length = fields?["bytes"]?.int64,
               let hex = fields?["sha256"]?.stringValue, let digest = Digest(hex: hex) {
                try upload.segment(path: folder + "/" + name, sha256: digest, length: length)
                segments += 1
            }
            try upload.manifestEntry(seq: nextSeq, line: line)
            nextSeq += 1
            count += 1
            consumed += line.count
            if fields?["type"]?.stringValue == "end" {
                try upload.sessionEnded(folder: folder)
                try queue.markSessionQueued(folder: folder)
                ended = true
                break
            }
        }
        return count
    }

    /// The file's bytes from `offset` on: only what is new since the last poll is read, so
    /// following a long manifest costs its new lines, not the whole file per entry.
    static func bytes(of path: String, from offset: Int) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.readToEnd() else { return nil }
        return Array(data)
    }

    /// The session's uploader, made from its first manifest line (which names room and session).
    private func uploader(firstLine fields: SignedLine?, path: String) throws(StoreError) -> LiveSessionUpload {
        if let live { return live }
        guard let room = fields?["room_id"]?.stringValue, let session = fields?["session_id"]?.stringValue else {
            throw .localFile(path: path, detail: "first line is not a session entry with room_id and session_id")
        }
        let made = LiveSessionUpload(queue: queue, layout: SessionLayout(room: room, session: session))
        if let key = FileManager.default.contents(atPath: folder + "/" + SessionFiles.publicKey) { try made.publicKey(pem: Array(key)) }
        live = made
        return made
    }
}
