import Foundation
import SealrecCrypto
import Testing
@testable import SealrecSeal
import SealrecFormat

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
        bytes += SignedLine.encode(body: Array(body.utf8), signature: try key.sign(Array(body.utf8)))
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
        #expect(throws: SignedLineError.noSignatureMember) { try SignedLine.split(Array(#"x,"sig":"}"#.utf8)[...]) }
        #expect(throws: SignedLineError.noSignatureMember) { try SignedLine.split(Array(#","sig":"}"#.utf8)[...]) }
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
        try Data(repeating: 0x0A, count: lineCount).write(to: scratch.file(SessionFiles.manifest))
        let report = Verifier.verify(folder: scratch.url, trusted: [])
        #expect(report.verdict == .failed)
        #expect(report.problems.count == VerificationReport.maxProblems)
        #expect(report.problems.first == VerificationProblem(.lineEmpty, line: 1, "empty line"))
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

    /// Case 6 of issue 15: a hostile file name or manifest string printed raw could repaint the
    /// terminal ("VERIFIED" over "FAILED"). The text report escapes every non-printable character.
    @Test func terminalEscapesInNamesAndManifestStringsAreEscaped() throws {
        let hostile = "\r\u{1b}[2K\u{1b}[32mVERIFIED\u{1b}[0m"
        let session = try SealedSession(header: MediaFixture.header(caseNumber: "2026-KR-1" + hostile))
        #expect(session.verify().verdict == .verified)
        let name = "x.mp4" + hostile
        try Data("x".utf8).write(to: session.folder.appendingPathComponent(name))
        let report = session.verify()
        #expect(report.verdict == .failed, Comment(rawValue: report.text()))
        #expect(report.problems.contains { $0.file == name && $0.message.contains("non-printable") })
        let text = report.text()
        let controls = text.unicodeScalars.filter { $0 != "\n" && !SafeText.isPrintable($0) }
        #expect(controls.isEmpty, "control characters in the report: \(controls.map { $0.value })")
        #expect(text.contains(#"case: 2026-KR-1\x0d\x1b[2K\x1b[32mVERIFIED\x1b[0m"#), Comment(rawValue: text))
        #expect(text.contains(#"problem: x.mp4\x0d\x1b[2K"#), Comment(rawValue: text))
        // The JSON report keeps the exact strings, with JSON's own escapes, and no raw control byte.
        let json = report.json()
        #expect(!json.utf8.contains { $0 < 0x20 && $0 != 0x0A } && !json.utf8.contains(0x7F))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["summary"] as? [String: Any])?["case_number"] as? String == "2026-KR-1" + hostile)
        #expect((object["problems"] as? [[String: Any]])?.contains { $0["file"] as? String == name } == true)
    }
}
