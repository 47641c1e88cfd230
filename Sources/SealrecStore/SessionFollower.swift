import Foundation
import SealrecCrypto
import SealrecFormat

/// Queues a session folder's objects for upload, line by line of its manifest: the public key, then
/// for every complete manifest line its segment (with the length and SHA-256 the line records) and
/// the line itself, and after the `end` line the whole manifest and playlist.
///
/// While a session records, the sealer hands each durable line to `sealed` (nothing is read back).
/// `poll()` reads the manifest's bytes from the first line not yet queued: it serves `sealrec
/// upload` of a finished folder, recovery after a restart, and catching up after a line `sealed`
/// could not queue. A follower started afresh on a folder (after a restart) queues everything
/// again: the queue and the store's idempotent keys make that cost a HEAD per object, never a
/// duplicate. Once the `end` entry is queued the queue records the folder as done
/// (`markSessionQueued`), so a restart walks only folders not yet done.
public final class SessionFollower: @unchecked Sendable {
    /// What queueing one manifest line needs to know of it.
    public struct Line: Sendable {
        /// Room and session, from the first line: they name the session's keys in the store.
        public var ids: (room: String, session: String)?
        /// A segment line's file, as the line records it.
        public var segment: (path: String, sha256: Digest, length: Int64)?
        public var isEnd = false

        public init(ids: (room: String, session: String)? = nil, segment: (path: String, sha256: Digest, length: Int64)? = nil,
                    isEnd: Bool = false) {
            self.ids = ids; self.segment = segment; self.isEnd = isEnd
        }
    }

    public let folder: String
    private let queue: UploadQueue
    private var live: LiveSessionUpload?
    /// Bytes of the manifest queued so far (always whole lines).
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
    private var manifestPath: String { folder + "/" + SessionFiles.manifest }

    /// A line the sealer has just made durable at byte `offset` of the manifest. When lines before
    /// it were not queued (an enqueue failed), they are read from the manifest first, this one with them.
    public func sealed(_ bytes: [UInt8], at offset: Int, _ line: Line) throws(StoreError) {
        guard !ended, offset >= consumed else { return }  // queued already by a catch-up poll
        guard offset == consumed else {
            try poll()
            return
        }
        try queue(bytes, line)
    }

    /// Queues the complete lines written since the last queued one; returns how many were new.
    @discardableResult
    public func poll() throws(StoreError) -> Int {
        guard !ended, let manifest = Self.bytes(of: manifestPath, from: consumed), !manifest.isEmpty else { return 0 }
        // Only complete lines: a last line without "\n" is still being written (or torn), never an entry.
        guard let lastNewline = manifest.lastIndex(of: 0x0A) else { return 0 }
        let fresh = manifest[...lastNewline]
        var count = 0
        for raw in fresh.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() where !ended {
            let bytes = Array(raw) + [0x0A]
            try queue(bytes, Self.read(bytes, folder: folder))
            count += 1
        }
        return count
    }

    /// Queues one line (and what it names); `consumed` moves past it only once all of it is queued,
    /// so a line that fails is tried again by the next `poll`.
    private func queue(_ bytes: [UInt8], _ line: Line) throws(StoreError) {
        let upload = try uploader(line)
        if let segment = line.segment {
            try upload.segment(path: segment.path, sha256: segment.sha256, length: segment.length)
        }
        try upload.manifestEntry(seq: nextSeq, line: bytes)
        if line.isEnd {
            try upload.sessionEnded(folder: folder)
            try queue.markSessionQueued(folder: folder)
            ended = true
        }
        if line.segment != nil { segments += 1 }
        nextSeq += 1
        consumed += bytes.count
    }

    /// What a line read from the manifest says, by the format's strict rules (an unreadable line
    /// is still queued: the verifier is the judge of validity).
    static func read(_ bytes: [UInt8], folder: String) -> Line {
        let fields = try? SignedLine(bytes.last == 0x0A ? bytes.dropLast() : bytes[...])
        var line = Line(isEnd: fields?["type"]?.stringValue == "end")
        if let room = fields?["room_id"]?.stringValue, let session = fields?["session_id"]?.stringValue {
            line.ids = (room, session)
        }
        if fields?["type"]?.stringValue == "segment", let name = fields?["file"]?.stringValue,
           let length = fields?["bytes"]?.int64,
           let hex = fields?["sha256"]?.stringValue, let digest = Digest(hex: hex) {
            line.segment = (folder + "/" + name, digest, length)
        }
        return line
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
    private func uploader(_ first: Line) throws(StoreError) -> LiveSessionUpload {
        if let live { return live }
        guard let ids = first.ids else {
            throw .localFile(path: manifestPath, detail: "first line is not a session entry with room_id and session_id")
        }
        let made = LiveSessionUpload(queue: queue, layout: SessionLayout(room: ids.room, session: ids.session))
        if let key = FileManager.default.contents(atPath: folder + "/" + SessionFiles.publicKey) { try made.publicKey(pem: Array(key)) }
        live = made
        return made
    }
}
