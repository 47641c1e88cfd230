import SealrecFormat
import Foundation
import SealrecCrypto
import SealrecSystem

/// The sealer: appends signed, hash-chained entries to `manifest.jsonl`, one durable line at a
/// time. It never reads segment files: the pipeline hashes each segment while writing it.
/// Not thread-safe; one writer belongs to one recording session.
public final class ManifestWriter {
    public let folder: URL
    private let key: RoomKey
    private let file: DurableFile
    public private(set) var nextSeq: Int64
    public private(set) var previousHash: Digest
    public private(set) var segmentCount: Int64
    /// End of the last segment on the timeline (start + duration).
    public private(set) var timelineEndMicros: Int64
    /// `utc_anchor` in microseconds; `wall_start` = anchor + `start_us`, exactly (MANIFEST.md R34).
    private let anchorMicros: Int64
    public private(set) var isClosed = false
    /// Set when a failed line could not be cut back off: nothing more may follow it.
    private var unrepaired: SystemError?
    /// Bytes of a torn trailing line that `resume` cut off (0 for a fresh or clean manifest).
    public private(set) var discardedPartialBytes = 0
    /// The manifest's length so far.
    public private(set) var byteCount: Int64 = 0
    /// The last line this writer appended (written and fsynced; its newline included), for whoever
    /// passes sealed lines on (the upload) without reading the manifest back. Empty until one is.
    public private(set) var lastLine: [UInt8] = []
    /// Markers are refused from this manifest length on (tests lower it).
    public var markerBudgetBytes = ManifestFormat.markerBudgetBytes

    private init(folder: URL, key: RoomKey, file: DurableFile, state: ChainState) {
        self.folder = folder
        self.key = key
        self.file = file
        nextSeq = state.nextSeq
        previousHash = state.previousHash
        segmentCount = state.segmentCount
        timelineEndMicros = state.timelineEndMicros
        anchorMicros = state.anchorMicros
    }

    /// Starts a new manifest (the file must not exist) with the `session` entry, and puts the
    /// room's public key next to it for reviewers.
    public convenience init(folder: URL, key: RoomKey, session: SessionHeader) throws(ManifestError) {
        let first = ManifestEntry.session(session, keyFingerprint: key.publicKey.fingerprint)
        try Self.checkReadable(first.body(seq: 0, prev: ManifestFormat.zeroHash), first)  // before creating any file
        try Self.placePublicKey(key.publicKey, in: folder)
        let path = folder.appendingPathComponent(SessionFiles.manifest).path
        do {
            let file = try DurableFile.createNew(path, mode: 0o644)
            try DurableFile.syncDirectory(folder.path)
            var state = ChainState()
            state.anchorMicros = RFC3339.microseconds(of: session.utcAnchor)
            self.init(folder: folder, key: key, file: file, state: state)
        } catch { throw .file(error) }
        try append(first)
    }

    /// Reopens a manifest after a crash: cuts off a torn trailing line, checks every complete
    /// line against `key` and the chain, and continues after the last one.
    public static func resume(folder: URL, key: RoomKey) throws(ManifestError) -> ManifestWriter {
        let path = folder.appendingPathComponent(SessionFiles.manifest).path
        let file: DurableFile
        let data: [UInt8]
        do {
            file = try DurableFile.openExisting(path)
            data = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as SystemError { throw .file(error) } catch { throw .file(SystemError("read", path: path, wording: .pathFirst)) }
        let (lines, torn) = SignedLine.lines(of: data)
        let state = try ChainState.replay(lines, path: path, key: key.publicKey)
        let writer = ManifestWriter(folder: folder, key: key, file: file, state: state)
        if let torn {
            do {
                try file.truncate(to: Int64(torn.startIndex))
                try file.sync()
            } catch { throw .file(error) }
            writer.discardedPartialBytes = torn.count
        }
        writer.byteCount = Int64(data.count - (torn?.count ?? 0))
        return writer
    }

    public func appendSegment(_ segment: SegmentRecord) throws(ManifestError) {
        if let problem = SegmentFileName.problem(with: segment.fileName) {
            throw .invalidRecord("segment file name \"\(segment.fileName)\" \(problem)")
        }
        guard segment.byteLength >= 0, segment.startMicros >= 0, segment.durationMicros > 0 else {
            throw .invalidRecord("segment \(segment.fileName): negative length/start or non-positive duration")
        }
        // The caller's wall clock may differ by float rounding; the sealed one is derived, so a
        // verifier can check it exactly.
        var record = segment
        record.wallClockStart = RFC3339.date(microseconds: anchorMicros.saturatingAdd(segment.startMicros))
        try append(.segment(record))
    }

    public func appendEvent(_ event: EventRecord) throws(ManifestError) {
        guard event.atMicros >= 0, event.gap.map({ $0.startMicros >= 0 && $0.durationMicros > 0 }) ?? true else {
            throw .invalidRecord("event at \(event.atMicros) µs: negative time or non-positive gap")
        }
        // Markers come from people, as many as they press: bounded in size and in total, so no
        // number of them can make a manifest its own verifier refuses. Other entries always go in.
        if event.kind == .marker {
            let textBytes = ManifestFormat.escapedByteCount(event.details)
            guard textBytes <= ManifestFormat.maxMarkerTextBytes else {
                throw .invalidRecord("marker refused: its text takes \(textBytes) bytes in the manifest, over the \(ManifestFormat.maxMarkerTextBytes)-byte limit")
            }
            guard byteCount < markerBudgetBytes else {
                throw .invalidRecord("marker refused: the manifest holds \(byteCount) bytes, at its \(markerBudgetBytes)-byte budget for markers")
            }
        }
        try append(.event(event))
    }

    /// Writes the `end` entry; afterwards the writer refuses further entries.
    public func close(reason: EndReason, lastGoodMicros: Int64) throws(ManifestError) {
        try append(.end(EndRecord(reason: reason, lastGoodMicros: max(0, lastGoodMicros),
                                  durationMicros: timelineEndMicros, segmentCount: segmentCount)))
    }

    private func append(_ entry: ManifestEntry) throws(ManifestError) {
        guard !isClosed else { throw .closed(path: file.path) }
        if let unrepaired { throw .file(unrepaired) }
        let body = entry.body(seq: nextSeq, prev: previousHash)
        try Self.checkReadable(body, entry)
        let signature: [UInt8]
        do { signature = try key.sign(body) } catch { throw .crypto(error) }
        let line = SignedLine.encode(body: body, signature: signature)
        guard line.count <= SignedLine.maxLineBytes else {
            throw .invalidRecord("\(entry.typeName) entry would be a \(line.count)-byte line, over the verifier's \(SignedLine.maxLineBytes)-byte limit")
        }
        let goodLength: Int64
        do { goodLength = try file.size() } catch { throw .file(error) }
        do {
            try file.write(line)
            // One fsync per entry: an entry the daemon reported as sealed survives power loss.
            try file.sync()
        } catch {
            // A failed line (a short write at a full disk, a failed fsync) is cut back off, so the
            // next entry (the end entry, most of all) follows the last good line, not torn bytes.
            do {
                try file.truncate(to: goodLength)
                try file.sync()
            } catch let repair { unrepaired = repair }
            throw .file(error)
        }
        nextSeq += 1
        byteCount = goodLength + Int64(line.count)
        lastLine = line
        previousHash = SHA256Hasher.hash(body)
        if case .segment(let segment) = entry {
            segmentCount += 1
            timelineEndMicros = segment.startMicros.saturatingAdd(segment.durationMicros)
        }
        if case .end = entry { isClosed = true }
    }

    /// Reads a body back with the verifier's reader: a value it would reject (e.g. an encoder
    /// setting that is not a JSON number) must fail here, not in court.
    private static func checkReadable(_ body: [UInt8], _ entry: ManifestEntry) throws(ManifestError) {
        do { _ = try ManifestLine.parse(body: body, signature: []) } catch {
            throw .invalidRecord("\(entry.typeName) entry would not verify: \(error)")
        }
    }

    private static func placePublicKey(_ publicKey: RoomPublicKey, in folder: URL) throws(ManifestError) {
        let url = folder.appendingPathComponent(SessionFiles.publicKey)
        do {
            try publicKey.write(to: url)
        } catch .alreadyExists {
            // A key already there (e.g. placed by the operator) is fine only if it is this key.
            let existing: RoomPublicKey
            do { existing = try RoomPublicKey.load(from: url) } catch { throw .key(error) }
            guard existing == publicKey else { throw .publicKeyMismatch(path: url.path) }
        } catch {
            throw .key(error)
        }
    }
}
