import Foundation
import SealrecCrypto
import SealrecFormat

/// Checks a session folder against its manifest. Never throws: whatever is wrong with the
/// input becomes a problem in the report, located by line/seq and/or file.
public enum Verifier {
    /// `trusted`: the room keys the caller vouches for, each with where it came from (shown in the report).
    public static func verify(folder: URL, trustedKeys trusted: [TrustedKey]) -> VerificationReport {
        var run = VerificationRun(folder: folder)
        run.run(trusted: trusted)
        return run.report
    }

    public static func verify(folder: URL, trusted: [RoomPublicKey]) -> VerificationReport {
        verify(folder: folder, trustedKeys: trusted.map { TrustedKey($0, source: "trusted key") })
    }
}

/// The state of one verification, filled in step by step.
struct VerificationRun {
    let folder: URL
    var report: VerificationReport

    init(folder: URL) {
        self.folder = folder
        report = VerificationReport(folder: folder.path)
    }

    mutating func run(trusted: [TrustedKey]) {
        guard let data = readManifest() else { return }
        let (content, session) = checkLines(data, trusted: trusted)
        summarize(content, session: session)
        checkSegmentFiles(content.segments)
        checkUnlistedFiles(Set(content.segments.map(\.record.fileName)))
        if let session {
            TimelineCheck(toleranceMicros: session.frameDurationMicros, gaps: content.gaps,
                          anchorMicros: RFC3339.microseconds(of: session.utcAnchor)).check(content.segments, into: &report)
        }
        if content.segments.isEmpty {
            // Nothing was recorded: a folder that proves no media must not read as a verified recording.
            report.add(VerificationProblem(.noSegments, "the manifest lists no segment: nothing was recorded"))
        }
        PlaylistCheck(segments: content.segments, ended: content.end != nil).check(folder: folder, into: &report)
        checkEnd(content)
    }

    private mutating func readManifest() -> [UInt8]? {
        let url = folder.appendingPathComponent(SessionFiles.manifest)
        let name = SessionFiles.manifest
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            report.add(VerificationProblem(.manifestMissing, file: name, "missing: there is no manifest in \(folder.path)"))
            return nil
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            report.add(VerificationProblem(.manifestNotRegular, file: name, "is not a regular file"))
            return nil
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        guard size <= ManifestFormat.maxManifestBytes else {
            report.add(VerificationProblem(.manifestTooLarge, file: name, "is \(size) bytes, over the \(ManifestFormat.maxManifestBytes)-byte limit; not read"))
            return nil
        }
        guard let data = try? Data(contentsOf: url) else {
            report.add(VerificationProblem(.manifestUnreadable, file: name, "cannot be read"))
            return nil
        }
        guard !data.isEmpty else {
            report.add(VerificationProblem(.manifestEmpty, file: name, "is empty"))
            return nil
        }
        // One block copy; Array(data) goes byte by byte through Data's iterator (seconds for 16 MiB in a debug build).
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// One pass over the lines: each is read, chained to the one before and its signature checked,
    /// then only what later checks need is kept. An unreadable line costs a problem (capped) and
    /// nothing else, so a manifest of millions of empty lines stays cheap in time and memory.
    private mutating func checkLines(_ data: [UInt8], trusted: [TrustedKey]) -> (ManifestContent, SessionHeader?) {
        var content = ManifestContent()
        var session: SessionHeader?
        var keys: SigningKeySelection?
        var chain = ChainExpectation()
        var number = 0
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            if newline == start {
                // A run of empty lines: one problem each (counted once the list is full), nothing to chain.
                var end = newline
                while end < data.endIndex && data[end] == 0x0A { end += 1 }
                let first = number + 1
                report.add(count: end - start) { VerificationProblem(.lineEmpty, line: first + $0, SignedLineError.empty.description) }
                number += end - start
                if first == 1 { keys = selectKeys(sessionFingerprint: nil, trusted: trusted) }
                chain.advance(line: number, parsed: nil, body: nil)
                start = end
                continue
            }
            number += 1
            var body: [UInt8]?
            var parsed: ManifestLine?
            do {
                let split = try ManifestLine.split(data[start..<newline])
                body = split.body
                parsed = try ManifestLine.parse(body: split.body, signature: split.signature)
            } catch {
                report.add(VerificationProblem(error.code, line: number, error.description))
            }
            start = newline + 1
            if number == 1 {
                // The session entry names the key; every line, this one included, is checked with it.
                var fingerprint: String?
                if case let .session(header, keyFingerprint)? = parsed?.entry { (session, fingerprint) = (header, keyFingerprint) }
                keys = selectKeys(sessionFingerprint: fingerprint, trusted: trusted)
            }
            if let parsed, let keys {
                checkChain(parsed, line: number, chain, keys)
                content.add(parsed, line: number)
            }
            chain.advance(line: number, parsed: parsed, body: body)
        }
        if keys == nil { _ = selectKeys(sessionFingerprint: nil, trusted: trusted) }
        if start < data.endIndex {
            report.add(VerificationProblem(.lineTorn, line: number + 1, "incomplete last line: \(data.endIndex - start) bytes without a newline "
                + "(manifest truncated or torn write); not an entry"))
        }
        report.summary.entryCount = number
        return (content, session)
    }

    private mutating func selectKeys(sessionFingerprint: String?, trusted: [TrustedKey]) -> SigningKeySelection {
        let keys = SigningKeySelection.select(sessionFingerprint: sessionFingerprint, trusted: trusted, folder: folder, report: &report)
        report.summary.keyFingerprint = keys.key?.fingerprint ?? sessionFingerprint
        report.summary.keyTrusted = keys.trusted
        report.summary.keySource = keys.source
        return keys
    }

    /// What the previous line says the next one must carry.
    struct ChainExpectation {
        var seq: Int64 = 0
        /// nil when the previous line could not be split (its hash is unknown; not checked).
        var prev: Digest? = ManifestFormat.zeroHash
        var endLine: Int?

        /// Expect one more than the previous line's seq, so one removed entry is one problem, not one per later line.
        mutating func advance(line: Int, parsed: ManifestLine?, body: [UInt8]?) {
            seq = parsed.map { $0.seq &+ 1 } ?? Int64(line)
            prev = body.map { SHA256Hasher.hash($0) }
            if case .end? = parsed?.entry, endLine == nil { endLine = line }
        }
    }

    /// seq continuity, prev chain, signature, and where session/end may stand.
    private mutating func checkChain(_ parsed: ManifestLine, line: Int, _ chain: ChainExpectation, _ keys: SigningKeySelection) {
        func problem(_ code: ProblemCode, _ message: @autoclosure () -> String) {
            report.add(VerificationProblem(code, line: line, seq: parsed.seq, message()))
        }
        if parsed.seq != chain.seq {
            problem(.seqMismatch, "seq is \(parsed.seq), expected \(chain.seq) (entries missing, inserted or reordered)")
        }
        if let expectedPrev = chain.prev, parsed.prev != expectedPrev {
            problem(.chainBreak, line == 1 ? "prev must be 64 zeros for the first entry"
                              : "prev does not match the hash of line \(line - 1) (chain broken: an entry was altered, removed or reordered)")
        }
        if let (code, message) = keys.signatureProblem(parsed) { problem(code, message) }
        let isSession = parsed.entry.typeName == "session"
        if line == 1 && !isSession { problem(.sessionNotFirst, "the first entry must be the session entry") }
        if line > 1 && isSession { problem(.secondSession, "a second session entry") }
        if let endLine = chain.endLine { problem(.entryAfterEnd, "entry after the end entry at line \(endLine)") }
    }

    private mutating func summarize(_ content: ManifestContent, session: SessionHeader?) {
        report.summary.segmentCount = content.segments.count
        report.summary.declaredGaps = content.gaps
        report.summary.endReason = content.end?.record.reason
        guard let session else {
            report.add(VerificationProblem(.noSession, line: 1, "no readable session entry; session facts and timeline cannot be checked"))
            return
        }
        report.summary.sessionID = session.sessionID
        report.summary.roomID = session.roomID
        report.summary.caseNumber = session.caseNumber
        let anchor = RFC3339.microseconds(of: session.utcAnchor)
        let duration = content.end?.record.durationMicros ?? content.timelineEndMicros
        report.summary.durationMicros = duration
        report.summary.startUTC = session.utcAnchor
        report.summary.endUTC = RFC3339.date(microseconds: anchor.saturatingAdd(duration))
    }

    private mutating func checkSegmentFiles(_ segments: [TimelineCheck.Listed]) {
        let hasher = SegmentFileHasher()
        var firstListing: [String: Int] = [:]
        for segment in segments {
            let record = segment.record
            func problem(_ code: ProblemCode, _ message: String) {
                report.add(VerificationProblem(code, line: segment.line, seq: segment.seq, file: record.fileName, message))
            }
            if let earlier = firstListing[record.fileName] {
                problem(.segmentListedTwice, "listed again (first listed at line \(earlier))")
                continue
            }
            firstListing[record.fileName] = segment.line
            let url = folder.appendingPathComponent(record.fileName)
            guard let type = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType else {
                problem(.segmentMissing, "is missing from the folder")
                continue
            }
            guard type == .typeRegular else {
                problem(.segmentNotRegular, "is not a regular file (\(type.rawValue))")
                continue
            }
            do {
                let (length, digest) = try hasher.hash(url)
                report.summary.bytesHashed += length
                if length != record.byteLength {
                    problem(.segmentLengthMismatch, "is \(length) bytes, the manifest says \(record.byteLength) (truncated, extended or replaced)")
                } else if digest != record.sha256 {
                    problem(.segmentHashMismatch, "SHA-256 is \(digest.hex), the manifest says \(record.sha256.hex) (content altered or replaced)")
                }
            } catch {
                problem(.segmentUnreadable, "cannot be read: \(error)")
            }
        }
    }

    /// Media files the manifest does not list are problems (an inserted or duplicated segment);
    /// other files are only noted.
    private mutating func checkUnlistedFiles(_ listed: Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            report.add(VerificationProblem(.folderUnreadable, "cannot list the folder \(folder.path)"))
            return
        }
        let expected = listed.union(SegmentFileName.reserved)
        for name in names.sorted() where !expected.contains(name) {
            if SegmentFileName.isMediaOrPlaylist(name) {
                report.add(VerificationProblem(.unlistedMedia, file: name, "media file not listed in the manifest"))
            } else if name.unicodeScalars.contains(where: { !SafeText.isPrintable($0) }) {
                // The recorder never writes such a name; it is there to disguise something (e.g. repaint a terminal).
                report.add(VerificationProblem(.unprintableName, file: name, "unlisted file whose name holds non-printable characters (shown escaped)"))
            } else {
                report.note("\(name): not listed in the manifest (not a media file; ignored)")
            }
        }
    }

    private mutating func checkEnd(_ content: ManifestContent) {
        guard let end = content.end else {
            report.add(VerificationProblem(.noEnd, "no end entry: the session was not closed (recording cut short or manifest truncated)"))
            return
        }
        func problem(_ code: ProblemCode, _ message: String) { report.add(VerificationProblem(code, line: end.line, seq: end.seq, message)) }
        if end.record.segmentCount != Int64(content.segments.count) {
            problem(.endCountMismatch, "end entry counts \(end.record.segmentCount) segments, the manifest lists \(content.segments.count)")
        }
        if end.record.durationMicros != content.timelineEndMicros {
            problem(.endDurationMismatch, "end entry gives duration \(end.record.durationMicros) µs, the last segment ends at \(content.timelineEndMicros) µs")
        }
        if end.record.lastGoodMicros > end.record.durationMicros {
            problem(.lastGoodBeyondEnd, "last_good_us \(end.record.lastGoodMicros) lies beyond the duration \(end.record.durationMicros) µs")
        }
    }
}
