import Foundation
import SealrecCrypto
import SealrecFormat
import Testing
@testable import SealrecSeal

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let script = repository.appendingPathComponent("Scripts/verify-by-hand")

/// The reviewer's procedure (MANIFEST.md) run with only bash, sed, grep, base64, sha256sum, openssl.
@Suite struct ReviewerScriptTests {
    private func review(_ session: SealedSession, key: URL? = nil) throws -> ShellResult {
        let keyPath = key ?? session.folder.appendingPathComponent("trusted.pub.pem")
        if key == nil { try session.fixture.key.publicKey.write(to: keyPath) }
        return try shell("'\(script.path)' '\(session.folder.path)' '\(keyPath.path)'")
    }

    @Test func cleanSessionPassesByHand() throws {
        let session = try SealedSession(events: [2: EventRecord(kind: .marker, atMicros: 3_000_000, source: "op", details: "Pause \"kurz\"")])
        let result = try review(session)
        #expect(result.status == 0, Comment(rawValue: result.output))
        #expect(result.output.contains("key fingerprint: \(session.fixture.key.publicKey.fingerprint)"))
        #expect(result.output.contains("OK: 7 entries, 4 segments"))
    }

    @Test(arguments: [
        ("segment byte flipped", "seg-00002.mp4: SHA-256 differs from line 4"),
        ("segment truncated", "seg-00001.mp4: length differs from line 3"),
        ("entry edited", "line 3: signature does not verify"),
        ("entry removed", "line 3: seq/prev chain broken"),
        ("manifest truncated", "last line has no newline"),
        ("end missing", "last entry is not an end entry"),
        ("unlisted file", "seg-00009.mp4: not listed in the manifest"),
    ])
    func tamperedSessionFailsByHand(tamper: String, expected: String) throws {
        let session = try SealedSession()
        var key: URL?
        switch tamper {
        case "segment byte flipped":
            var bytes = try Data(contentsOf: session.segment(2))
            bytes[20_000] ^= 0x80
            try bytes.write(to: session.segment(2))
        case "segment truncated":
            try Data(contentsOf: session.segment(1)).dropLast().write(to: session.segment(1))
        case "entry edited":
            var lines = try session.manifest.lines()
            lines[2] = lines[2].replacingOccurrences(of: #""start_us":2000000"#, with: #""start_us":2000040"#)
            try session.manifest.write(lines)
        case "entry removed":
            var lines = try session.manifest.lines()
            lines.remove(at: 2)
            try session.manifest.write(lines)
        case "manifest truncated":
            try session.manifest.write(bytes: Array(try session.manifest.bytes().dropLast(30)))
        case "end missing":
            try session.manifest.write(Array(try session.manifest.lines().dropLast()))
        default:
            try FileManager.default.copyItem(at: session.segment(0), to: session.folder.appendingPathComponent("seg-00009.mp4"))
        }
        let result = try review(session)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: \(expected)"), Comment(rawValue: result.output))
    }

    /// Given another key than the session's, the folder's room.pub.pem proves consistency only: exit 2, as `sealrec verify`.
    @Test func anotherKeyLeavesTheSessionUntrustedByHand() throws {
        let session = try SealedSession()
        let key = session.folder.appendingPathComponent("other.pub.pem")
        try session.fixture.otherKey.publicKey.write(to: key)
        let result = try review(session, key: key)
        #expect(result.status == 2, Comment(rawValue: result.output))
        #expect(result.output.contains("UNTRUSTED: 6 entries, 4 segments"), Comment(rawValue: result.output))
        #expect(Verifier.verify(folder: session.folder, trusted: [session.fixture.otherKey.publicKey]).exitCode == 2)
    }

    /// Without a room.pub.pem naming the session's key, nothing can check the signatures.
    @Test func anotherKeyWithoutTheRoomKeyFailsByHand() throws {
        let session = try SealedSession()
        try FileManager.default.removeItem(at: session.folder.appendingPathComponent("room.pub.pem"))
        let key = session.folder.appendingPathComponent("other.pub.pem")
        try session.fixture.otherKey.publicKey.write(to: key)
        let result = try review(session, key: key)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("neither the given key nor room.pub.pem [key_not_found]"), Comment(rawValue: result.output))
    }

    @Test func declaredGapPassesByHand() throws {
        let gap = EventRecord(kind: .deviceGap, atMicros: 4_000_000, source: "Cam 1", details: "USB reset",
                              gap: DeclaredGap(startMicros: 4_000_000, durationMicros: 1_500_000))
        let result = try review(try SealedSession(starts: [0, 2_000_000, 5_500_000, 7_500_000], events: [2: gap]))
        #expect(result.status == 0, Comment(rawValue: result.output))
        #expect(result.output.contains("OK: 7 entries, 4 segments, 9500000 us"), Comment(rawValue: result.output))
    }

    /// Validly signed manifests whose timeline does not hold: only the timeline check can catch them.
    @Test(arguments: [
        ([0, 2_000_000, 4_500_000, 6_500_000] as [Int64], "seg-00002.mp4 (line 4): undeclared gap of 500000 us"),
        ([0, 2_000_000, 3_900_000, 5_900_000], "seg-00002.mp4 (line 4): starts at 3900000 us, overlapping"),
        ([100_000, 2_100_000, 4_100_000, 6_100_000], "seg-00000.mp4 (line 2): undeclared gap of 100000 us"),
    ])
    func brokenTimelineFailsByHand(starts: [Int64], expected: String) throws {
        let result = try review(try SealedSession(starts: starts))
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: \(expected)"), Comment(rawValue: result.output))
    }

    /// An end entry re-signed with the room key but with totals that do not match its segments.
    @Test(arguments: [
        (#""segments":4}"#, #""segments":3}"#, "end entry counts 3 segments, the manifest lists 4"),
        (#""duration_us":8000000,"#, #""duration_us":9000000,"#, "end entry gives duration 9000000 us, the last segment ends at 8000000 us"),
        (#""last_good_us":8000000,"#, #""last_good_us":8000001,"#, "end entry: last_good_us 8000001 lies beyond the duration 8000000 us"),
    ])
    func endTotalsThatDisagreeFailByHand(from: String, to: String, expected: String) throws {
        let session = try SealedSession()
        var lines = try session.manifest.lines()
        let end = ManifestFile.body(of: lines.removeLast())
        #expect(end.contains(from), "\(end)")
        try session.manifest.write(lines)
        try appendSigned(end.replacingOccurrences(of: from, with: to), to: session)
        let result = try review(session)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: \(expected)"), Comment(rawValue: result.output))
    }

    @Test func anEntryAfterTheEndFailsByHand() throws {
        let session = try SealedSession()
        let last = ManifestFile.body(of: try #require(try session.manifest.lines().last))
        let hash = SHA256Hasher.hash(Array(last.utf8)).hex
        try appendSigned(#"{"seq":6,"type":"event","prev":"\#(hash)","kind":"marker","at_us":1,"source":"x","details":"late"}"#, to: session)
        #expect(try session.manifest.lines().count == 7)
        let result = try review(session)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: line 7: entry after the end entry"), Comment(rawValue: result.output))
    }

    /// Appends a body as a line signed with the session's own key.
    private func appendSigned(_ body: String, to session: SealedSession) throws {
        let line = SignedLine.encode(body: Array(body.utf8), signature: try session.fixture.key.sign(Array(body.utf8)))
        try session.manifest.write(bytes: try session.manifest.bytes() + line)
    }

    /// Case 11 of issue 15: what `sealrec verify` rejects, the script must reject too.
    @Test(arguments: [
        ("unlisted upper-case extension", "seg-00009.MP4: not listed in the manifest"),
        ("unlisted hidden file", ".seg-00009.mp4: not listed in the manifest"),
        ("unlisted other media type", "seg-00009.ts: not listed in the manifest"),
        ("unlisted name with a newline", #"$'seg-00000.mp4\nx.mp4': not listed in the manifest"#),
        ("NUL byte in the manifest", "manifest.jsonl: line 2 holds a byte that is not printable ASCII"),
        ("control byte in the manifest", "manifest.jsonl: line 3 holds a byte that is not printable ASCII"),
        ("symlinked manifest", "manifest.jsonl: is not a regular file"),
        ("symlinked segment", "seg-00001.mp4: is not a regular file"),
    ])
    func whatTheVerifierRejectsTheScriptRejects(tamper: String, expected: String) throws {
        let session = try SealedSession()
        let folder = session.folder
        switch tamper {
        case "unlisted upper-case extension":
            try FileManager.default.copyItem(at: session.segment(0), to: folder.appendingPathComponent("seg-00009.MP4"))
        case "unlisted hidden file":
            try FileManager.default.copyItem(at: session.segment(0), to: folder.appendingPathComponent(".seg-00009.mp4"))
        case "unlisted other media type":
            try Data("G".utf8).write(to: folder.appendingPathComponent("seg-00009.ts"))
        case "unlisted name with a newline":
            // grep -F would read the name as two patterns, one of them a listed segment.
            try FileManager.default.copyItem(at: session.segment(0), to: folder.appendingPathComponent("seg-00000.mp4\nx.mp4"))
        case "NUL byte in the manifest", "control byte in the manifest":
            var lines = try session.manifest.lines()
            let index = tamper.hasPrefix("NUL") ? 1 : 2
            lines[index] = lines[index].replacingOccurrences(of: #""wall_start""#, with: tamper.hasPrefix("NUL") ? "\0\"wall_start\"" : "\u{1b}\"wall_start\"")
            try session.manifest.write(lines)
        case "symlinked manifest":
            let moved = folder.appendingPathComponent("elsewhere.jsonl")
            try FileManager.default.moveItem(at: session.manifest.url, to: moved)
            try FileManager.default.createSymbolicLink(atPath: session.manifest.url.path, withDestinationPath: moved.path)
        default:
            let moved = folder.appendingPathComponent("elsewhere.bin")
            try FileManager.default.moveItem(at: session.segment(1), to: moved)
            try FileManager.default.createSymbolicLink(atPath: session.segment(1).path, withDestinationPath: moved.path)
        }
        let report = session.verify()
        #expect(report.verdict == .failed, Comment(rawValue: report.text()))
        let result = try review(session)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: \(expected)"), Comment(rawValue: result.output))
    }

    @Test func manifestDocumentCarriesTheSameScript() throws {
        let document = try String(contentsOf: repository.appendingPathComponent("Sources/SealrecSeal/MANIFEST.md"), encoding: .utf8)
        let scriptText = try String(contentsOf: script, encoding: .utf8)
        #expect(document.contains("```bash\n" + scriptText + "```"))
    }
}
