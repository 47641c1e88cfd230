import Foundation
import SealrecCrypto

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

/// One manifest line as far as it could be read.
struct ReadLine {
    let number: Int
    /// The signed body, when the line could be split; enough to check the next line's prev.
    let body: [UInt8]?
    let parsed: ManifestLine?
}

/// The state of one verification, filled in step by step.
struct VerificationRun {
    let folder: URL
    var report: VerificationReport
    private var lines: [ReadLine] = []

    init(folder: URL) {
        self.folder = folder
        report = VerificationReport(folder: folder.path)
    }

    mutating func run(trusted: [TrustedKey]) {
        guard let data = readManifest() else { return }
        readLines(data)
        let session = lines.first?.parsed.flatMap { line -> (SessionHeader, String)? in
            if case let .session(header, fingerprint) = line.entry { return (header, fingerprint) }
            return nil
        }
        let keys = SigningKeySelection.select(sessionFingerprint: session?.1, trusted: trusted, folder: folder, report: &report)
        report.summary.keyFingerprint = keys.key?.fingerprint ?? session?.1
        report.summary.keyTrusted = keys.trusted
        report.summary.keySource = keys.source
        checkChain(keys)
        let content = ManifestContent(lines)
        summarize(content, session: session?.0)
        checkSegmentFiles(content.segments)
        checkUnlistedFiles(Set(content.segments.map(\.record.fileName)))
        if let session = session?.0 {
            let timeline = TimelineCheck(toleranceMicros: session.frameDurationMicros, gaps: content.gaps)
            report.problems += timeline.problems(content.segments)
        }
        checkEnd(content)
    }

    private mutating func readManifest() -> [UInt8]? {
        let url = folder.appendingPathComponent(ManifestFormat.manifestFileName)
        let name = ManifestFormat.manifestFileName
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            report.add(VerificationProblem(file: name, "missing: there is no manifest in \(folder.path)"))
            return nil
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            report.add(VerificationProblem(file: name, "is not a regular file"))
            return nil
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        guard size <= ManifestFormat.maxManifestBytes else {
            report.add(VerificationProblem(file: name, "is \(size) bytes, over the \(ManifestFormat.maxManifestBytes)-byte limit; not read"))
            return nil
        }
        guard let data = try? Data(contentsOf: url) else {
            report.add(VerificationProblem(file: name, "cannot be read"))
            return nil
        }
        guard !data.isEmpty else {
            report.add(VerificationProblem(file: name, "is empty"))
            return nil
        }
        return Array(data)
    }

    private mutating func readLines(_ data: [UInt8]) {
        let (complete, torn) = ManifestLine.lines(of: data)
        for (index, raw) in complete.enumerated() {
            var body: [UInt8]?
            do {
                let split = try ManifestLine.split(raw)
                body = split.body
                lines.append(ReadLine(number: index + 1, body: body, parsed: try ManifestLine.parse(body: split.body, signature: split.signature)))
            } catch {
                report.add(VerificationProblem(line: index + 1, error.description))
                lines.append(ReadLine(number: index + 1, body: body, parsed: nil))
            }
        }
        if let torn {
            report.add(VerificationProblem(line: complete.count + 1, "incomplete last line: \(torn.count) bytes without a newline "
                + "(manifest truncated or torn write); not an entry"))
        }
        report.summary.entryCount = lines.count
    }

    /// seq continuity, prev chain, signatures, and where session/end may stand.
    private mutating func checkChain(_ keys: SigningKeySelection) {
        var endLine: Int?
        for (index, line) in lines.enumerated() {
            guard let parsed = line.parsed else { continue }
            func problem(_ message: String) { report.add(VerificationProblem(line: line.number, seq: parsed.seq, message)) }
            // Expect one more than the previous line's seq, so one removed entry is one problem, not one per later line.
            let expectedSeq = index == 0 ? 0 : lines[index - 1].parsed.map { $0.seq &+ 1 } ?? Int64(index)
            if parsed.seq != expectedSeq {
                problem("seq is \(parsed.seq), expected \(expectedSeq) (entries missing, inserted or reordered)")
            }
            let expectedPrev = index == 0 ? ManifestFormat.zeroHash : lines[index - 1].body.map { SHA256Hasher.hash($0) }
            if let expectedPrev, parsed.prev != expectedPrev {
                problem(index == 0 ? "prev must be 64 zeros for the first entry"
                                   : "prev does not match the hash of line \(index) (chain broken: an entry was altered, removed or reordered)")
            }
            if let signatureProblem = keys.signatureProblem(parsed) { problem(signatureProblem) }
            let isSession = parsed.entry.typeName == "session"
            if index == 0 && !isSession { problem("the first entry must be the session entry") }
            if index > 0 && isSession { problem("a second session entry") }
            if let endLine { problem("entry after the end entry at line \(endLine)") }
            if case .end = parsed.entry, endLine == nil { endLine = line.number }
        }
    }

    private mutating func summarize(_ content: ManifestContent, session: SessionHeader?) {
        report.summary.segmentCount = content.segments.count
        report.summary.declaredGaps = content.gaps
        report.summary.endReason = content.end?.record.reason
        guard let session else {
            report.add(VerificationProblem(line: 1, "no readable session entry; session facts and timeline cannot be checked"))
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
            func problem(_ message: String) {
                report.add(VerificationProblem(line: segment.line, seq: segment.seq, file: record.fileName, message))
            }
            if let earlier = firstListing[record.fileName] {
                problem("listed again (first listed at line \(earlier))")
                continue
            }
            firstListing[record.fileName] = segment.line
            let url = folder.appendingPathComponent(record.fileName)
            guard let type = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType else {
                problem("is missing from the folder")
                continue
            }
            guard type == .typeRegular else {
                problem("is not a regular file (\(type.rawValue))")
                continue
            }
            do {
                let (length, digest) = try hasher.hash(url)
                report.summary.bytesHashed += length
                if length != record.byteLength {
                    problem("is \(length) bytes, the manifest says \(record.byteLength) (truncated, extended or replaced)")
                } else if digest != record.sha256 {
                    problem("SHA-256 is \(digest.hex), the manifest says \(record.sha256.hex) (content altered or replaced)")
                }
            } catch {
                problem("cannot be read: \(error)")
            }
        }
    }

    /// Media files the manifest does not list are problems (an inserted or duplicated segment);
    /// other files are only noted.
    private mutating func checkUnlistedFiles(_ listed: Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            report.add(VerificationProblem("cannot list the folder \(folder.path)"))
            return
        }
        let expected = listed.union(SegmentFileName.reserved)
        for name in names.sorted() where !expected.contains(name) {
            let lowered = name.lowercased()
            if [".mp4", ".m4s", ".m4a", ".m4v", ".mov"].contains(where: lowered.hasSuffix) {
                report.add(VerificationProblem(file: name, "media file not listed in the manifest"))
            } else {
                report.notes.append("\(name): not listed in the manifest (not a media file; ignored)")
            }
        }
    }

    private mutating func checkEnd(_ content: ManifestContent) {
        guard let end = content.end else {
            report.add(VerificationProblem("no end entry: the session was not closed (recording cut short or manifest truncated)"))
            return
        }
        func problem(_ message: String) { report.add(VerificationProblem(line: end.line, seq: end.seq, message)) }
        if end.record.segmentCount != Int64(content.segments.count) {
            problem("end entry counts \(end.record.segmentCount) segments, the manifest lists \(content.segments.count)")
        }
        if end.record.durationMicros != content.timelineEndMicros {
            problem("end entry gives duration \(end.record.durationMicros) µs, the last segment ends at \(content.timelineEndMicros) µs")
        }
        if end.record.lastGoodMicros > end.record.durationMicros {
            problem("last_good_us \(end.record.lastGoodMicros) lies beyond the duration \(end.record.durationMicros) µs")
        }
    }
}
