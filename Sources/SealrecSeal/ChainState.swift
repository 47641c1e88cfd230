import SealrecCrypto
import SealrecFormat

/// Where the chain stands: what the next entry needs to know about the ones before it.
struct ChainState {
    var nextSeq: Int64 = 0
    var previousHash = ManifestFormat.zeroHash
    var segmentCount: Int64 = 0
    var timelineEndMicros: Int64 = 0
    /// The session's `utc_anchor` in microseconds: every segment's `wall_start` is derived from it.
    var anchorMicros: Int64 = 0

    /// Rebuilds the state from complete lines, insisting each is signed by `key` and chained.
    static func replay(_ lines: [ArraySlice<UInt8>], path: String, key: RoomPublicKey) throws(ManifestError) -> ChainState {
        var state = ChainState()
        for (index, raw) in lines.enumerated() {
            let line: ManifestLine
            do {
                let (body, signature) = try ManifestLine.split(raw)
                line = try ManifestLine.parse(body: body, signature: signature)
            } catch { throw .unusableLine(path: path, line: index + 1, reason: error.description) }
            if let problem = state.problem(with: line, index: index, key: key) {
                throw .unusableLine(path: path, line: index + 1, reason: problem)
            }
            if case .end = line.entry { throw .closed(path: path) }
            state.advance(past: line)
        }
        guard state.nextSeq > 0 else { throw .noSessionEntry(path: path) }
        return state
    }

    /// Why `line` (0-based `index`) cannot be the next entry signed by `key`, or nil when it can.
    func problem(with line: ManifestLine, index: Int, key: RoomPublicKey) -> String? {
        if !key.verify(signature: line.signature, message: line.body) { "signature does not verify with the room key \(key.fingerprint)" }
        else if line.seq != nextSeq { "seq \(line.seq), expected \(nextSeq)" }
        else if line.prev != previousHash { "prev does not match the previous entry's hash" }
        else if (index == 0) != (line.entry.typeName == "session") { "session entry must be exactly the first" }
        else { nil }
    }

    mutating func advance(past line: ManifestLine) {
        nextSeq += 1
        previousHash = line.entryHash
        if case .session(let header, _) = line.entry { anchorMicros = RFC3339.microseconds(of: header.utcAnchor) }
        if case .segment(let segment) = line.entry {
            segmentCount += 1
            timelineEndMicros = segment.startMicros.saturatingAdd(segment.durationMicros)
        }
    }
}
