import Foundation
import Testing
import TestSupport

/// Issue 15: the lengths a manifest states bound the download, so a store must not get them believed
/// unsigned. With `--trust`, a manifest that is altered or signed by another key is refused before
/// any segment is downloaded; a manifest claiming more than the disk holds is refused with the figures.
@Suite struct ForgedManifestTests {
    static let huge = "1000000000000000"  // 10^15 bytes per segment: more than any disk here has free

    /// Rewrites the session's manifest as a forger with the key `keyFile` would: each body changed by
    /// `edit` (line index, body), re-chained (`prev` = SHA-256 of the previous body) and re-signed (openssl).
    private func forge(_ s: AccessStore, signingWith keyFile: String, edit: (Int, String) -> String) throws {
        let path = s.sessionFolder + "/manifest.jsonl"
        var forged = ""
        var prev = String(repeating: "0", count: 64)
        for (index, line) in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").enumerated() {
            let marker = try #require(line.range(of: #","sig":""#))
            let body = edit(index, String(line[..<marker.lowerBound]) + "}")
                .replacingOccurrences(of: #""prev":"[0-9a-f]{64}""#, with: "\"prev\":\"\(prev)\"", options: .regularExpression)
            let file = s.scratch.file("body-\(UUID().uuidString.prefix(6))")
            try body.write(toFile: file, atomically: false, encoding: .utf8)
            try AccessStore.ok(Run.tool("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", file, "-out", file + ".sig"]))
            prev = String(try AccessStore.ok(Run.tool("openssl", ["dgst", "-sha256", "-r", file])).stdout.prefix(64))
            forged += body.dropLast() + #","sig":""# + (try Data(contentsOf: URL(fileURLWithPath: file + ".sig")).base64EncodedString()) + "\"}\n"
        }
        try FileManager.default.removeItem(atPath: path)
        try forged.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private static func hugeLengths(_ body: String) -> String {
        body.replacingOccurrences(of: #""bytes":[0-9]+"#, with: "\"bytes\":" + huge, options: .regularExpression)
    }

    /// `fetch CODE` and `verify file://…`, both with `--trust` the real key: each must fail naming
    /// `expected`; the reviewer's folder (where the fetch stages its download) must stay empty.
    private func expectRefused(_ s: AccessStore, code: String, saying expected: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let parent = s.scratch.file("reviewer-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        for args in [["fetch", code, "--from", s.root, "--out", parent + "/case-17", "--trust", s.publicKey],
                     ["verify", "file://" + s.sessionFolder, "--trust", s.publicKey]] {
            let r = try AccessStore.bounded(args)
            #expect(r.status == 1, "\(args[0]): exit \(r.status) \(r.stderr)", sourceLocation: sourceLocation)
            for text in expected {
                #expect(r.stderr.contains(text), "\(args[0]): no '\(text)' in \(r.stderr)", sourceLocation: sourceLocation)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, sourceLocation: sourceLocation)
    }

    @Test func aManifestAlteredToStateAHugeLengthIsRefusedBeforeAnySegment() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        // Line 3 lists seg-00001.mp4; its signature no longer matches once the length is changed.
        let path = s.sessionFolder + "/manifest.jsonl"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = Self.hugeLengths(lines[2])
        try FileManager.default.removeItem(atPath: path)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        // The segment itself is endless: had it been downloaded, the error would name it instead.
        let segment = s.sessionFolder + "/seg-00001.mp4"
        try FileManager.default.removeItem(atPath: segment)
        try FileManager.default.createSymbolicLink(atPath: segment, withDestinationPath: "/dev/zero")
        try expectRefused(s, code: code, saying: ["manifest.jsonl", "line 3: signature does not verify", "nothing else was downloaded"])
    }

    @Test func aManifestSignedByAnotherKeyIsRefusedBeforeAnySegment() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        let other = s.scratch.file("other-keys")
        let made = try AccessStore.ok(Run.sealrec(["keygen", "--out", other]))
        let otherFingerprint = try #require(made.stdout.split(separator: "\n").first { $0.hasPrefix("fingerprint: ") }?.dropFirst(13))
        let realFingerprint = try fingerprint(in: s.sessionFolder + "/manifest.jsonl")
        // The forger names their own key in the session entry and puts its public half in the store.
        try forge(s, signingWith: other + "/room.key") { index, body in
            Self.hugeLengths(index == 0 ? body.replacingOccurrences(of: realFingerprint, with: String(otherFingerprint)) : body)
        }
        try FileManager.default.removeItem(atPath: s.sessionFolder + "/room.pub.pem")
        try FileManager.default.copyItem(atPath: other + "/room.pub.pem", toPath: s.sessionFolder + "/room.pub.pem")
        try expectRefused(s, code: code, saying: ["line 1: the session is signed by key \(otherFingerprint), which is not a trusted key",
                                                   "nothing else was downloaded"])
    }

    @Test func aManifestClaimingMoreThanTheFreeSpaceIsRefusedWithTheFigures() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        // Validly signed by the room key itself: only the free space stands in the way.
        try forge(s, signingWith: s.keys + "/room.key") { _, body in Self.hugeLengths(body) }
        try expectRefused(s, code: code, saying: ["the manifest states 3000000000000000 bytes of segments", "bytes free"])
        // Without --trust the manifest is not checked, but the bound still holds.
        let r = try AccessStore.bounded(["verify", "file://" + s.sessionFolder])
        #expect(r.status == 1 && r.stderr.contains("the manifest states 3000000000000000 bytes of segments") && r.stderr.contains("bytes free"), "\(r.stderr)")
    }

    private func fingerprint(in manifest: String) throws -> String {
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        let range = try #require(text.range(of: #""key_fingerprint":"[0-9a-f]{64}""#, options: .regularExpression))
        return String(text[range].dropFirst(#""key_fingerprint":""#.count).dropLast())
    }
}
