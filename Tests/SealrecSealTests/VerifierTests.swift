import Foundation
import SealrecCrypto
import SealrecFormat
import Testing
@testable import SealrecSeal
import SealrecFormat

/// A sealed copy of the fixture session in its own folder.
struct SealedSession {
    let scratch: Scratch
    let fixture: MediaFixture
    var folder: URL { scratch.url }
    var manifest: ManifestFile { ManifestFile(in: folder) }

    init(header: SessionHeader = MediaFixture.header(), starts: [Int64]? = nil, events: [Int: EventRecord] = [:],
         close: Bool = true) throws {
        scratch = try Scratch()
        fixture = try MediaFixture.get()
        try fixture.sealSession(in: scratch.url, header: header, starts: starts, events: events, close: close)
    }

    func verify() -> VerificationReport { Verifier.verify(folder: folder, trusted: [fixture.key.publicKey]) }
    func segment(_ index: Int) -> URL { folder.appendingPathComponent(MediaFixture.segmentNames[index]) }
}

private func describe(_ report: VerificationReport) -> Comment { Comment(rawValue: report.text()) }

@Suite struct CleanSessionTests {
    @Test func sealedSessionVerifies() throws {
        let session = try SealedSession()
        let report = session.verify()
        #expect(report.verdict == .verified, describe(report))
        #expect(report.exitCode == 0)
        #expect(report.problems.isEmpty)
        #expect(report.summary.segmentCount == 4)
        #expect(report.summary.entryCount == 6)
        #expect(report.summary.durationMicros == 8_000_000)
        #expect(report.summary.keyFingerprint == session.fixture.key.publicKey.fingerprint)
        #expect(report.summary.endReason == .stopped)
        #expect(report.summary.startUTC.map(RFC3339.format) == "2026-09-21T14:13:20.250000Z")
        #expect(report.summary.endUTC.map(RFC3339.format) == "2026-09-21T14:13:28.250000Z")
        let sizes = try MediaFixture.segmentNames.map { try FileManager.default.attributesOfItem(atPath: session.folder.appendingPathComponent($0).path)[.size] as! Int }
        #expect(report.summary.bytesHashed == Int64(sizes.reduce(0, +)))
    }

    @Test func sessionWithEventsAndDeclaredGapVerifies() throws {
        // Segment 2 starts 1.5 s late; a device_gap event declares the hole.
        let gap = EventRecord(kind: .deviceGap, atMicros: 4_000_000, source: "Cam 1", details: "USB reset",
                              gap: DeclaredGap(startMicros: 4_000_000, durationMicros: 1_500_000))
        let marker = EventRecord(kind: .marker, atMicros: 1_000_000, source: "operator", details: "Zeugin betritt den Raum \"B\"")
        let session = try SealedSession(starts: [0, 2_000_000, 5_500_000, 7_500_000], events: [1: marker, 2: gap])
        let report = session.verify()
        #expect(report.verdict == .verified, describe(report))
        #expect(report.summary.declaredGaps == [DeclaredGap(startMicros: 4_000_000, durationMicros: 1_500_000)])
        #expect(report.summary.durationMicros == 9_500_000)
    }

    @Test func toleratesJitterWithinOneFrame() throws {
        let session = try SealedSession(starts: [0, 2_039_000, 4_020_000, 6_000_000])
        #expect(session.verify().verdict == .verified)
    }

    @Test func minimalSessionWithoutOptionalMembersVerifies() throws {
        let session = try SealedSession(header: MediaFixture.header(caseNumber: nil, participants: nil))
        let report = session.verify()
        #expect(report.verdict == .verified, describe(report))
        #expect(report.summary.caseNumber == nil)
    }

    @Test func withoutTrustedKeyIsConsistentButNotVerified() throws {
        let session = try SealedSession()
        let report = Verifier.verify(folder: session.folder, trusted: [])
        #expect(report.problems.isEmpty, describe(report))
        #expect(report.verdict == .untrustedKey)
        #expect(report.exitCode == 2)
        #expect(report.verdictLine.contains("untrusted key \(session.fixture.key.publicKey.fingerprint)"))
        // A trusted key that is not the session key changes nothing.
        let other = Verifier.verify(folder: session.folder, trusted: [session.fixture.otherKey.publicKey])
        #expect(other.verdict == .untrustedKey)
    }

    @Test func unrelatedFileIsOnlyNoted() throws {
        let session = try SealedSession()
        try Data("operator notes".utf8).write(to: session.folder.appendingPathComponent("notes.txt"))
        let report = session.verify()
        #expect(report.verdict == .verified)
        #expect(report.notes.contains { $0.hasPrefix("notes.txt") })
    }

    @Test func jsonReportParsesAndCarriesVerdictAndProblems() throws {
        let session = try SealedSession()
        try FileManager.default.removeItem(at: session.segment(3))
        let report = session.verify()
        let object = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        #expect(object["verdict"] as? String == "failed")
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["file"] as? String == "seg-00003.mp4" && ($0["seq"] as? Int) == 4 })
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["segments"] as? Int == 4)
        #expect(summary["key_fingerprint"] as? String == session.fixture.key.publicKey.fingerprint)
    }
}

/// One way to tamper with a sealed session, and where the verifier must point.
struct Tamper: Sendable, CustomTestStringConvertible {
    let name: String
    let apply: @Sendable (SealedSession) throws -> Void
    /// The problem that must be reported (at least one problem must satisfy it).
    let expect: @Sendable (VerificationProblem, SealedSession) -> Bool
    var testDescription: String { name }
}

private func flip(_ url: URL, at offset: Int) throws {
    var bytes = try Data(contentsOf: url)
    bytes[offset] ^= 0x01
    try bytes.write(to: url)
}

private func editLines(_ session: SealedSession, _ change: (inout [String]) throws -> Void) throws {
    var lines = try session.manifest.lines()
    try change(&lines)
    try session.manifest.write(lines)
}

private let segmentTampers: [Tamper] = (0..<4).map { index in
    Tamper(name: "byte flipped in segment \(index)",
           apply: { try flip($0.segment(index), at: 5000 + index * 997) },
           expect: { p, _ in p.file == MediaFixture.segmentNames[index] && p.seq == Int64(index + 1) && p.message.contains("SHA-256") })
} + [
    Tamper(name: "segment removed",
           apply: { try FileManager.default.removeItem(at: $0.segment(2)) },
           expect: { p, _ in p.file == "seg-00002.mp4" && p.message.contains("missing") }),
    Tamper(name: "segment duplicated under another name",
           apply: { try FileManager.default.copyItem(at: $0.segment(1), to: $0.folder.appendingPathComponent("seg-00001-copy.mp4")) },
           expect: { p, _ in p.file == "seg-00001-copy.mp4" && p.message.contains("not listed") }),
    Tamper(name: "two segments swapped",
           apply: { s in
               let one = try Data(contentsOf: s.segment(1))
               try Data(contentsOf: s.segment(2)).write(to: s.segment(1))
               try one.write(to: s.segment(2))
           },
           expect: { p, _ in p.file == "seg-00001.mp4" && p.seq == 2 }),
    Tamper(name: "segment truncated",
           apply: { s in
               let bytes = try Data(contentsOf: s.segment(3))
               try bytes.prefix(bytes.count - 4096).write(to: s.segment(3))
           },
           expect: { p, _ in p.file == "seg-00003.mp4" && p.message.contains("bytes, the manifest says") }),
    Tamper(name: "segment replaced by a re-encoded one",
           apply: { s in
               try FileManager.default.removeItem(at: s.segment(1))
               try FileManager.default.copyItem(at: s.fixture.reencodedSegment1, to: s.segment(1))
           },
           expect: { p, _ in p.file == "seg-00001.mp4" && p.seq == 2 }),
    Tamper(name: "extra unlisted media file",
           apply: { try Data(repeating: 7, count: 1000).write(to: $0.folder.appendingPathComponent("seg-00004.mp4")) },
           expect: { p, _ in p.file == "seg-00004.mp4" && p.message.contains("not listed") }),
]

private let manifestTampers: [Tamper] = [
    Tamper(name: "entry edited",
           apply: { try editLines($0) { $0[2] = $0[2].replacingOccurrences(of: #""duration_us":2000000"#, with: #""duration_us":2500000"#) } },
           expect: { p, _ in p.line == 3 && p.seq == 2 && p.message.contains("signature does not verify") }),
    Tamper(name: "entry removed",
           apply: { try editLines($0) { $0.remove(at: 2) } },
           expect: { p, _ in p.line == 3 && p.message.contains("seq is 3, expected 2") }),
    Tamper(name: "entries reordered",
           apply: { try editLines($0) { $0.swapAt(2, 3) } },
           expect: { p, _ in p.line == 3 && p.seq == 3 && p.message.contains("seq is 3, expected 2") }),
    Tamper(name: "entry re-signed with another key",
           apply: { s in
               try editLines(s) {
                   let body = ManifestFile.body(of: $0[2]).replacingOccurrences(of: #""duration_us":2000000"#, with: #""duration_us":2000001"#)
                   $0[2] = try ManifestFile.signedLine(body: body, key: s.fixture.otherKey)
               }
           },
           expect: { p, _ in p.line == 3 && p.message.contains("signature does not verify") }),
    Tamper(name: "entry re-signed with another key whose public key is planted in the folder",
           apply: { s in
               try editLines(s) { $0[2] = try ManifestFile.signedLine(body: ManifestFile.body(of: $0[2]), key: s.fixture.otherKey) }
               let pub = s.folder.appendingPathComponent(SessionFiles.publicKey)
               try FileManager.default.removeItem(at: pub)
               try s.fixture.otherKey.publicKey.write(to: pub)
           },
           expect: { p, s in p.line == 3 && p.message.contains("signed by key \(s.fixture.otherKey.publicKey.fingerprint)") }),
    Tamper(name: "manifest truncated mid-line",
           apply: { s in
               let bytes = try s.manifest.bytes()
               let lineStarts = bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
               try s.manifest.write(bytes: Array(bytes.prefix(lineStarts[2] + 40)))
           },
           expect: { p, _ in p.line == 4 && p.message.contains("incomplete last line") }),
    Tamper(name: "end entry missing",
           apply: { try editLines($0) { $0.removeLast() } },
           expect: { p, _ in p.message.contains("no end entry") }),
    Tamper(name: "extra line appended after end",
           apply: { s in try editLines(s) { $0.append($0[3]) } },
           expect: { p, _ in p.line == 7 && p.message.contains("seq is 3, expected 6") }),
    Tamper(name: "segment entry appended after end by the key holder",
           apply: { s in
               // A forger with the room key appends a segment entry after end: totals and placement catch it.
               try editLines(s) { lines in
                   let endBody = ManifestFile.body(of: lines[5])
                   let hash = SHA256Hasher.hash(Array(endBody.utf8)).hex
                   let body = ManifestFile.body(of: lines[4])
                       .replacingOccurrences(of: #"{"seq":4,"#, with: #"{"seq":6,"#)
                       .replacingOccurrences(of: ManifestFile.body(of: lines[4]).split(separator: "\"")[9], with: hash)
                   lines.append(try ManifestFile.signedLine(body: body, key: s.fixture.key))
               }
           },
           expect: { p, _ in p.line == 7 && p.message.contains("entry after the end entry") }),
]

@Suite struct TamperTests {
    @Test(arguments: segmentTampers + manifestTampers)
    func tamperingIsRejectedAndLocated(_ tamper: Tamper) throws {
        let session = try SealedSession()
        #expect(session.verify().verdict == .verified)
        try tamper.apply(session)
        let report = session.verify()
        #expect(report.verdict == .failed, describe(report))
        #expect(report.exitCode == 1)
        #expect(report.problems.contains { tamper.expect($0, session) }, describe(report))
    }

    @Test func wholeManifestResignedByAnotherKeyIsNeverVerified() throws {
        let session = try SealedSession()
        let fixture = session.fixture
        // Rebuild the whole chain under another key, as someone with write access but not the room key could.
        var prev = ManifestFormat.zeroHash.hex
        let forged = try session.manifest.lines().map { line -> String in
            var body = ManifestFile.body(of: line)
            let oldPrev = String(body.split(separator: "\"")[9])
            body = body.replacingOccurrences(of: oldPrev, with: prev)
                .replacingOccurrences(of: fixture.key.publicKey.fingerprint, with: fixture.otherKey.publicKey.fingerprint)
            prev = SHA256Hasher.hash(Array(body.utf8)).hex
            return try ManifestFile.signedLine(body: body, key: fixture.otherKey)
        }
        try session.manifest.write(forged)
        let pub = session.folder.appendingPathComponent(SessionFiles.publicKey)
        try FileManager.default.removeItem(at: pub)
        try fixture.otherKey.publicKey.write(to: pub)

        let report = session.verify()
        #expect(report.problems.isEmpty, describe(report))
        #expect(report.verdict == .untrustedKey)
        #expect(report.exitCode != 0)
        #expect(report.verdictLine.contains("signed by untrusted key \(fixture.otherKey.publicKey.fingerprint)"))
    }

    @Test func undeclaredGapAndOverlapAreRejected() throws {
        let gap = try SealedSession(starts: [0, 2_000_000, 4_500_000, 6_500_000]).verify()
        #expect(gap.problems.contains { $0.file == "seg-00002.mp4" && $0.message.contains("undeclared gap of 500000") }, describe(gap))
        let overlap = try SealedSession(starts: [0, 2_000_000, 3_900_000, 5_900_000]).verify()
        #expect(overlap.problems.contains { $0.file == "seg-00002.mp4" && $0.message.contains("overlapping") }, describe(overlap))
        let lateStart = try SealedSession(starts: [100_000, 2_100_000, 4_100_000, 6_100_000]).verify()
        #expect(lateStart.problems.contains { $0.file == "seg-00000.mp4" }, describe(lateStart))
    }

    @Test func gapDeclaredElsewhereDoesNotCoverAnotherHole() throws {
        let gap = EventRecord(kind: .deviceGap, atMicros: 1_000_000, source: "Cam 1", details: "",
                              gap: DeclaredGap(startMicros: 1_000_000, durationMicros: 500_000))
        let report = try SealedSession(starts: [0, 2_000_000, 4_500_000, 6_500_000], events: [1: gap]).verify()
        #expect(report.problems.contains { $0.file == "seg-00002.mp4" && $0.message.contains("undeclared gap") }, describe(report))
    }

    @Test func unclosedSessionFails() throws {
        let report = try SealedSession(close: false).verify()
        #expect(report.verdict == .failed)
        #expect(report.problems.map(\.message) == ["no end entry: the session was not closed (recording cut short or manifest truncated)"])
    }

    @Test func missingManifestFails() throws {
        let scratch = try Scratch()
        let report = Verifier.verify(folder: scratch.url, trusted: [])
        #expect(report.verdict == .failed)
        #expect(report.problems.first?.file == SessionFiles.manifest)
    }

    @Test func missingPublicKeyWithoutTrustFails() throws {
        let session = try SealedSession()
        try FileManager.default.removeItem(at: session.folder.appendingPathComponent(SessionFiles.publicKey))
        let report = Verifier.verify(folder: session.folder, trusted: [])
        #expect(report.verdict == .failed)
        #expect(report.problems.contains { $0.message.contains("no public key with the session's fingerprint") })
        // The trusted key alone is enough.
        #expect(session.verify().verdict == .verified)
    }
}
