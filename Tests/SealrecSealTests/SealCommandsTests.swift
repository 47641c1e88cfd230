import Foundation
import Testing
@testable import SealrecSeal

/// The `sealrec` binary built next to this test runner.
private let sealrec = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("sealrec").path

@Suite struct SealCommandsTests {
    @Test func keygenWritesKeyPairOnceAndNeverPrintsThePrivateKey() throws {
        let scratch = try Scratch()
        let out = scratch.file("keys").path
        let first = try shell("'\(sealrec)' keygen --out '\(out)'")
        #expect(first.status == 0, Comment(rawValue: first.output))
        let fingerprint = try shell("openssl pkey -pubin -in '\(out)/room.pub.pem' -outform DER | sha256sum | cut -d' ' -f1")
        #expect(first.output.contains("fingerprint: \(fingerprint.output.trimmingCharacters(in: .whitespacesAndNewlines))"))
        #expect(first.output.contains("public key: \(out)/room.pub.pem"))
        #expect(!first.output.contains("PRIVATE"))
        let keyText = try String(contentsOfFile: "\(out)/room.key", encoding: .utf8)
        #expect(!first.output.contains(keyText.split(separator: "\n")[1]))
        let mode = try FileManager.default.attributesOfItem(atPath: "\(out)/room.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let second = try shell("'\(sealrec)' keygen --out '\(out)'")
        #expect(second.status == 1)
        #expect(second.output.contains("already exists"))
        #expect(try String(contentsOfFile: "\(out)/room.key", encoding: .utf8) == keyText)
    }

    @Test func verifyExitStatusesAndJSON() throws {
        let session = try SealedSession()
        let trusted = session.folder.appendingPathComponent("trusted.pub.pem")
        try session.fixture.key.publicKey.write(to: trusted)
        let path = session.folder.path

        let verified = try shell("'\(sealrec)' verify '\(path)' --trust '\(trusted.path)'")
        #expect(verified.status == 0, Comment(rawValue: verified.output))
        #expect(verified.output.contains("VERIFIED"))
        let untrusted = try shell("'\(sealrec)' verify '\(path)'")
        #expect(untrusted.status == 2)
        #expect(untrusted.output.contains("signed by untrusted key \(session.fixture.key.publicKey.fingerprint)"))
        let json = try shell("'\(sealrec)' verify '\(path)' --json --trust='\(trusted.path)'")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["verdict"] as? String == "verified")

        try FileManager.default.removeItem(at: session.segment(1))
        let failed = try shell("'\(sealrec)' verify '\(path)' --trust '\(trusted.path)'")
        #expect(failed.status == 1)
        #expect(failed.output.contains("problem: seg-00001.mp4, line 3, seq 2: is missing from the folder"))

        #expect(try shell("'\(sealrec)' verify").status == 64)
        #expect(try shell("'\(sealrec)' verify '\(path)' --bogus").status == 64)
        #expect(try shell("'\(sealrec)' verify '\(path)' --trust /nonexistent.pem").status == 64)
    }
}
