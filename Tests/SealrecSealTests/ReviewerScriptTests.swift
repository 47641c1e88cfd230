import Foundation
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
        ("wrong key", "line 1: signature does not verify"),
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
        case "unlisted file":
            try FileManager.default.copyItem(at: session.segment(0), to: session.folder.appendingPathComponent("seg-00009.mp4"))
        default:
            key = session.folder.appendingPathComponent("other.pub.pem")
            try session.fixture.otherKey.publicKey.write(to: key!)
        }
        let result = try review(session, key: key)
        #expect(result.status == 1, Comment(rawValue: result.output))
        #expect(result.output.contains("FAIL: \(expected)"), Comment(rawValue: result.output))
    }

    @Test func manifestDocumentCarriesTheSameScript() throws {
        let document = try String(contentsOf: repository.appendingPathComponent("Sources/SealrecSeal/MANIFEST.md"), encoding: .utf8)
        let scriptText = try String(contentsOf: script, encoding: .utf8)
        #expect(document.contains("```bash\n" + scriptText + "```"))
    }
}
