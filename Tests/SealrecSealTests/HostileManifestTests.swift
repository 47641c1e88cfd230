import Foundation
import SealrecCrypto
import Testing
@testable import SealrecSeal

/// A manifest written line by line by someone holding the room key: each body gets its seq and
/// the previous body's hash, then is signed. `members` is the body after "prev".
struct ForgedManifest {
    let key: RoomKey
    private(set) var bytes: [UInt8] = []
    private var seq = 0
    private var prev = ManifestFormat.zeroHash.hex

    init(key: RoomKey) { self.key = key }

    mutating func append(type: String, _ members: String) throws {
        let body = #"{"seq":\#(seq),"type":"\#(type)","prev":"\#(prev)","# + members + "}"
        bytes += ManifestLine.encode(body: Array(body.utf8), signature: try key.sign(Array(body.utf8)))
        prev = SHA256Hasher.hash(Array(body.utf8)).hex
        seq += 1
    }

    /// The session entry of the fixture (its body as the writer made it, re-chained).
    mutating func appendSession(of session: SealedSession) throws {
        let first = ManifestFile.body(of: try #require(try session.manifest.lines().first))
        let members = first[first.range(of: #","prev":""#)!.upperBound...].dropFirst(66).dropLast()
        try append(type: "session", String(members))
    }
}

@Suite struct HostileManifestTests {
    /// Case 2: the signature marker overlapping the closing `"}` made the line splitter trap.
    @Test func signatureMarkerOverlappingTheClosingQuoteIsAProblem() throws {
        #expect(throws: ManifestLineError.noSignatureMember) { try ManifestLine.split(Array(#"x,"sig":"}"#.utf8)[...]) }
        #expect(throws: ManifestLineError.noSignatureMember) { try ManifestLine.split(Array(#","sig":"}"#.utf8)[...]) }
        let session = try SealedSession()
        try session.manifest.write(bytes: try session.manifest.bytes() + Array("x,\"sig\":\"}\n".utf8))
        let report = session.verify()
        #expect(report.verdict == .failed)
        #expect(report.problems.contains { $0.line == 7 && $0.message.contains(#"does not end with a ,"sig":"..."} member"#) },
                Comment(rawValue: report.text()))
    }

    /// Case 3: a manifest of 16 MiB of newlines took 4.7 GB and 46 s. Problems are now capped and
    /// unreadable lines are not kept.
    @Test func manifestOfNewlinesFailsWithACappedProblemList() throws {
        let scratch = try Scratch()
        let lineCount = 16 << 20
        try Data(repeating: 0x0A, count: lineCount).write(to: scratch.file(ManifestFormat.manifestFileName))
        let report = Verifier.verify(folder: scratch.url, trusted: [])
        #expect(report.verdict == .failed)
        #expect(report.problems.count == VerificationReport.maxProblems)
        #expect(report.problems.first == VerificationProblem(line: 1, "empty line"))
        #expect(report.problemCount > lineCount)
        let text = report.text()
        #expect(text.contains("... and \(report.problemCount - VerificationReport.maxProblems) more problems"))
        #expect(text.contains("FAILED: \(report.problemCount) problems found"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(json["problems_omitted"] as? Int == report.problemCount - VerificationReport.maxProblems)
    }

    /// Issue 20: start_us + duration_us past Int64.max trapped while the report was formatted,
    /// even when the key is unknown.
    @Test(arguments: [(Int64.max - 1000, Int64(2_000_000)), (Int64(0), Int64.max), (Int64(1), Int64.max)])
    func segmentEndPastTheInt64RangeIsReportedNotATrap(start: Int64, duration: Int64) throws {
        let session = try SealedSession(close: false)
        var forged = ForgedManifest(key: session.fixture.key)
        try forged.appendSession(of: session)
        try forged.append(type: "segment", #""file":"seg-00000.mp4","bytes":1,"sha256":"\#(String(repeating: "0", count: 64))","#
            + #""start_us":\#(start),"duration_us":\#(duration),"wall_start":"2026-09-21T14:13:20.250000Z""#)
        try forged.append(type: "event", #""kind":"other","at_us":\#(Int64.max),"source":"x","details":"y","#
            + #""gap_start_us":\#(Int64.max),"gap_duration_us":\#(Int64.max)"#)
        try session.manifest.write(bytes: forged.bytes)
        for trusted in [[], [session.fixture.key.publicKey]] {
            let report = Verifier.verify(folder: session.folder, trusted: trusted)
            #expect(report.verdict == .failed)
            #expect(report.text().contains("FAILED"))
            #expect(report.summary.sessionID != nil, Comment(rawValue: report.text()))
            #expect(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) is [String: Any])
        }
    }
}
