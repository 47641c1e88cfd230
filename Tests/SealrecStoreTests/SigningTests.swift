import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

@Suite struct SigningTests {
    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Digest(bytes: mac).hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func signatureMatchesAWSDocumentedExample() {
        // The GET Object example from AWS's "Signature Version 4: header-based auth" S3 documentation.
        let signer = SignatureV4(credentials: Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        let headers = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                                  headers: [("Range", "bytes=0-9")], payloadHash: SignatureV4.emptyPayload,
                                  date: Date(timeIntervalSince1970: 1_369_353_600))  // 2013-05-24T00:00:00Z
        let authorization = headers.first { $0.0 == "authorization" }?.1
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func queryAndPathEncoding() {
        #expect(SignatureV4.canonicalQuery([("prefix", "a b/c"), ("list-type", "2")]) == "list-type=2&prefix=a%20b%2Fc")
        #expect(SignatureV4.uriEncode("room 1/seg~0.mp4", keepSlash: true) == "room%201/seg~0.mp4")
    }
}

@Suite struct LocationTests {
    @Test func parsesS3URL() throws {
        let config = try StoreLocation.s3Config("s3://bucket/room/session?endpoint=http://127.0.0.1:9000/&region=eu-1&credentials=/c&ca=/ca.pem&retention-days=7&multipart-mb=8")
        #expect(config.bucket == "bucket")
        #expect(config.prefix == "room/session/")
        #expect(config.endpoint == "http://127.0.0.1:9000")
        #expect(config.host == "127.0.0.1:9000")
        #expect(config.region == "eu-1")
        #expect(config.credentialsFile == "/c")
        #expect(config.transport.caFile == "/ca.pem")
        #expect(config.retentionDays == 7)
        #expect(config.multipartThreshold == 8 << 20)
    }

    @Test func rejectsBadURLsWithReasons() {
        #expect(throws: StoreError.invalidLocation("s3://b: needs endpoint=http(s)://HOST:PORT")) { try StoreLocation.s3Config("s3://b") }
        #expect(throws: StoreError.invalidLocation("s3://b?endpoint=http://h&colour=red: unknown parameter 'colour'")) {
            try StoreLocation.s3Config("s3://b?endpoint=http://h&colour=red")
        }
        #expect(throws: StoreError.invalidLocation("file://relative: file URLs need an absolute path (file:///...)")) {
            try StoreLocation.folderPath("file://relative")
        }
        #expect((try? StoreLocation.folderPath("file:///srv/store")) == "/srv/store")
    }

    @Test func layoutKeys() {
        let layout = SessionLayout(room: "po room/1", session: "abc")
        #expect(layout.segment("seg-00001.mp4") == "po_room_1/abc/seg-00001.mp4")
        #expect(layout.manifestEntry(12) == "po_room_1/abc/manifest/00000012.jsonl")
        #expect(SessionLayout(room: "..", session: "x").root == "_../x/")
    }

    @Test func credentialsFileMustBePrivate() throws {
        let path = NSTemporaryDirectory() + "sealrec-cred-\(UUID().uuidString)"
        defer { unlink(path) }
        try "aws_access_key_id = A\naws_secret_access_key = B\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        #expect(throws: StoreError.credentialsFile(path: path, detail: "readable by group or others (mode 644); chmod 600 it")) {
            try Credentials.load(from: path)
        }
        chmod(path, 0o600)
        let credentials = try Credentials.load(from: path)
        #expect(credentials.accessKeyID == "A" && credentials.secretAccessKey == "B")
    }

    @Test func aCredentialsFIFOOrLinkIsRefusedAndAMalformedLineIsNotQuoted() throws {
        let dir = Scratch("cred")
        defer { dir.remove() }
        // A FIFO would hang every request. A link is followed (the operator named the file), but
        // what it reaches must be a regular file: a link to /dev/zero is refused as a device.
        #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: "/dev/zero")
        for name in ["fifo", "link"] {
            do {
                _ = try Credentials.load(from: dir.file(name))
                Issue.record("\(name) accepted")
            } catch {
                #expect(error.kind == "credentials_file" && error.description.contains(name == "fifo" ? "FIFO" : "character device"), "\(error)")
            }
        }
        // A line without '=' may be the secret itself: the error gives its number, not its text.
        let path = dir.file("typo")
        try "aws_access_key_id = A\naws_secret_access_key: s3cr3t-value\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        do {
            _ = try Credentials.load(from: path)
            Issue.record("a malformed file was accepted")
        } catch {
            #expect(error.description.contains("line 2") && !error.description.contains("s3cr3t"), "\(error)")
        }
    }
}
