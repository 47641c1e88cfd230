import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

/// Access codes against the real S3 server: the same grant, fetch and revoke as with a folder.
@Suite(.serialized) struct S3AccessTests {
    /// A store that sends more than the object may have (an endless or overlong segment) is cut off
    /// one byte past the bound, and the partial download is removed.
    @Test func aDownloadStopsPastItsBound() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("bounded")
        let scratch = Scratch("s3-bounded")
        defer { scratch.remove() }
        let store = try StoreLocation.open(server.url("bounded"))
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        FileManager.default.createFile(atPath: scratch.file("object"), contents: Data(bytes))
        let key = "room/s/seg-00000.mp4"
        try store.put(file: scratch.file("object"), key: key, sha256: SHA256Hasher.hash(bytes), length: 300_000, limiter: nil)
        do {
            try store.get(key: key, to: scratch.file("short"), maxBytes: 1000)
            Issue.record("a download past its bound was accepted")
        } catch {
            #expect(error.kind == "unsafe_object" && error.description.contains(key) && error.description.contains("1000 bytes"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("short")))
        let whole = try store.get(key: key, to: scratch.file("whole"), maxBytes: 300_000)
        #expect(whole.length == 300_000 && whole.sha256 == SHA256Hasher.hash(bytes))
    }

    @Test func grantFetchAndRevokeWorkAgainstS3() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("evidence")
        let scratch = Scratch("s3-access")
        defer { scratch.remove() }
        #expect(try Run.sealrec(["keygen", "--out", scratch.file("keys")]).status == 0)
        let record = try Run.sealrec(["record", "--out", scratch.file("session"), "--duration", "3", "--fast",
                                      "--key", scratch.file("keys/room.key"), "--upload-to", server.url("evidence"),
                                      "--spool", scratch.file("spool")])
        #expect(record.status == 0, "\(record.stdout)\(record.stderr)")
        let session = try #require(record.stdout.split(separator: "\n").first { $0.hasPrefix("session ") }).dropFirst("session ".count)
        let store = server.url("evidence")
        let grant = try Run.sealrec(["grant", String(session), "--to", "A. Lawyer", "--role", "lawyer", "--expires", "1d", "--store", store,
                                     "--key", scratch.file("keys/room.key"), "--qr-out", scratch.file("qr")])
        #expect(grant.status == 0, "\(grant.stdout)\(grant.stderr)")
        let code = try #require(grant.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.range(of: #"^[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{2}$"#, options: .regularExpression) != nil })
        // The QR, read by zbar, fetches and verifies from S3.
        let payload = try Run.tool("zbarimg", ["-q", "--raw", scratch.file("qr.png")]).stdout.trimmingCharacters(in: .newlines)
        let fetched = try Run.sealrec(["fetch", payload, "--from", store, "--out", scratch.file("fetched"), "--trust", scratch.file("keys/room.pub.pem")])
        #expect(fetched.status == 0 && fetched.stdout.contains("READY") && fetched.stdout.contains("VERIFIED"), "\(fetched.stdout)\(fetched.stderr)")
        // The grant and the access log are objects in the bucket; the code itself is nowhere.
        let listing = try server.aws(["s3", "ls", "--recursive", "s3://evidence/"]).stdout
        #expect(listing.contains("grants/") && listing.contains("access-log/\(session)/"))
        #expect(!listing.contains(code))
        #expect(try Run.sealrec(["revoke", code, "--store", store, "--key", scratch.file("keys/room.key")]).status == 0)
        let refused = try Run.sealrec(["fetch", code, "--from", store, "--out", scratch.file("again"), "--trust", scratch.file("keys/room.pub.pem")])
        #expect(refused.status == 1 && refused.stderr.contains("revoked"), "\(refused.stderr)")
    }
}
