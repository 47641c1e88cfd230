import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

/// Against a real S3 server (SeaweedFS) on loopback, started and stopped by each test. Serialized:
/// the fault tests depend on timing, and two servers at once would crowd the two cores.
@Suite(.serialized) struct S3IntegrationTests {
    @Test func aRecordingUploadsWhileRecordingAndVerifiesFromTheStoreByteForByte() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("evidence")
        let scratch = Scratch("s3-recording")
        defer { scratch.remove() }
        try expectSuccess(Run.sealrec(["keygen", "--out", scratch.file("keys")]))
        let session = scratch.file("session")
        // Uploads while it records (the daemon's path: a follower queues each sealed entry at once).
        let record = try Run.sealrec(["record", "--out", session, "--duration", "5", "--fast", "--key", scratch.file("keys/room.key"),
                                      "--upload-to", server.url("evidence"), "--spool", scratch.file("spool")])
        #expect(record.status == 0, "\(record.stdout)\(record.stderr)")
        #expect(record.stdout.contains("objects stored"), "\(record.stdout)")
        let fixture = FixtureView(folder: session)
        let verify = try Run.sealrec(["verify", server.url("evidence/" + fixture.root.dropLast()), "--trust", scratch.file("keys/room.pub.pem")])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("VERIFIED"))

        // Byte for byte, read back by a client that is not ours.
        let back = scratch.file("back")
        try expectSuccess(server.aws(["s3", "cp", "--recursive", "--quiet", "s3://evidence/" + fixture.root, back]))
        for name in try FileManager.default.contentsOfDirectory(atPath: session) {
            #expect(FileManager.default.contents(atPath: back + "/" + name) == FileManager.default.contents(atPath: session + "/" + name), "\(name) differs")
        }
    }

    @Test func largeSegmentGoesUpInPartsAndVerifies() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("parts")
        let fixture = try SessionFixture(segments: 2, bytesEach: 11 << 20)
        defer { fixture.remove() }
        let upload = try Run.sealrec(["upload", fixture.folder, "--to", server.url("parts", extra: "&multipart-mb=5"),
                                      "--spool", fixture.scratch.file("spool")])
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
        let head = try server.aws(["s3api", "head-object", "--bucket", "parts", "--key", fixture.root + "seg-00000.mp4", "--checksum-mode", "ENABLED"])
        #expect(head.stdout.contains("\"ChecksumSHA256\"") && head.stdout.contains("-3\""), "\(head.stdout)")  // three parts, each checked
        let verify = try Run.sealrec(["verify", server.url("parts/" + fixture.root.dropLast()), "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // Found already stored (as after a crash between upload and dequeue): confirmed from the
        // composite checksum recomputed from the local file, not uploaded again...
        let again = try Run.sealrec(["upload", fixture.folder, "--to", server.url("parts", extra: "&multipart-mb=5"),
                                     "--spool", fixture.scratch.file("spool-again")])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        // ...and a local file that no longer matches the stored parts is refused, not overwritten.
        let store = try S3Store(config: StoreLocation.s3Config(server.url("parts", extra: "&multipart-mb=5")))
        let forged = fixture.scratch.file("forged")
        FileManager.default.createFile(atPath: forged, contents: Data(repeating: 7, count: 11 << 20))
        do {
            try store.put(file: forged, key: fixture.root + "seg-00000.mp4", sha256: Digest(hex: fixture.sha256("seg-00000.mp4"))!,
                          length: 11 << 20, limiter: nil)
            Issue.record("a different file was confirmed as the stored multipart object")
        } catch {
            #expect(error.kind == "conflicting_object", "\(error)")
        }
    }

    @Test func theLimiterPacesEveryByteCurlSendsInOnePutAndInParts() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("paced")
        let fixture = try SessionFixture(segments: 2, bytesEach: 6 << 20)
        defer { fixture.remove() }
        let store = try S3Store(config: StoreLocation.s3Config(server.url("paced", extra: "&multipart-mb=5")))
        let small = fixture.scratch.file("small.bin")
        let bytes = (0..<200_000).map { UInt8($0 % 249) }
        FileManager.default.createFile(atPath: small, contents: Data(bytes))
        // Through libcurl's read callback: 200 kB at 100 kB/s is 2 s less the quarter-second burst.
        let clock = FakeClock()
        try store.put(file: small, key: "r/s/small.bin", sha256: SHA256Hasher.hash(bytes), length: 200_000, limiter: clock.limiter(100_000))
        #expect(abs(Double(clock.slept) / 1e9 - 1.75) < 0.001, "slept \(Double(clock.slept) / 1e9) s")
        // A multipart upload (5 MiB + 1 MiB parts) is paced across its parts the same way.
        let partsClock = FakeClock()
        try store.put(file: fixture.folder + "/seg-00000.mp4", key: "r/s/big.bin", sha256: Digest(hex: fixture.sha256("seg-00000.mp4"))!,
                      length: 6 << 20, limiter: partsClock.limiter(1 << 20))
        #expect(abs(Double(partsClock.slept) / 1e9 - 5.75) < 0.001, "slept \(Double(partsClock.slept) / 1e9) s")
        #expect(try store.head(key: "r/s/big.bin")?.length == 6 << 20)
    }

    @Test func bytesCorruptedInFlightAreRejectedByTheStoreAndRetried() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("corrupt", versioning: true)
        let proxy = try LoopbackProxy(port: try FreePort.any(), upstreamPort: server.s3Port, corruptions: 3)
        defer { proxy.stop() }
        let fixture = try SessionFixture(segments: 4, bytesEach: 200_000)
        defer { fixture.remove() }
        let log = LogLines()
        let store = try StoreLocation.open(server.url("corrupt", port: proxy.port))
        let queue = try UploadQueue(spool: fixture.scratch.file("spool"), store: store,
                                    options: .init(concurrency: 1, initialBackoff: 0.05, maxBackoff: 0.2), log: log.append)
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
        queue.start()
        #expect(queue.waitUntilEmpty(timeout: 60))
        queue.stop()
        #expect(proxy.corrupted == 3)
        #expect(log.lines.filter { $0.contains("[checksum_mismatch]") && $0.contains("BadDigest") }.count == 3, "\(log.lines)")
        // Exactly one version of each object, and it holds the sealed bytes: nothing corrupted was kept.
        let versions = try server.versionCounts(bucket: "corrupt")
        #expect(Set(versions.keys) == fixture.expectedKeys)
        #expect(versions.values.allSatisfy { $0 == 1 }, "\(versions)")
        let back = fixture.scratch.file("back")
        try expectSuccess(server.aws(["s3", "cp", "--recursive", "--quiet", "s3://corrupt/" + fixture.root, back]))
        for i in 0..<4 {
            let name = String(format: "seg-%05d.mp4", i)
            #expect(SHA256Hasher.hash(Array(FileManager.default.contents(atPath: back + "/" + name) ?? Data())).hex == fixture.sha256(name))
        }
    }

    @Test func serverKilledMidUploadAndRestartedLosesAndDuplicatesNothing() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("crash", versioning: true)
        let fixture = try SessionFixture(segments: 10, bytesEach: 1 << 20)
        defer { fixture.remove() }
        // 4 MB/s so the kill lands mid-upload; backoff capped at 1 s to keep the test short.
        let uploader = try BackgroundSealrec(["upload", fixture.folder, "--to", server.url("crash"), "--spool", fixture.scratch.file("spool"),
                                              "--limit", "4000000", "--backoff-max", "1", "--wait", "120"], output: fixture.scratch.file("upload.log"))
        #expect(uploadHasBegun(spool: fixture.scratch.file("spool")), "the upload never began")
        server.kill()
        // The issue asks for 30 s down; several failed retries show the same in less CI time.
        let retried = eventually(60) {
            let output = uploader.output
            return output.contains("[unreachable_endpoint]") && output.components(separatedBy: "retry in").count > 3
        }
        #expect(retried, "no three failed retries while the store was down: \(uploader.output)")
        #expect(uploader.process.isRunning, "the uploader gave up while the store was down")
        try server.start()
        let status = uploader.wait(60)
        #expect(status == 0, "\(uploader.output)")
        #expect(uploader.output.contains("[unreachable_endpoint]"))
        try expectStoredExactlyOnce(fixture, server: server, bucket: "crash")
    }

    @Test func refusedConnectionsMakeTheQueueWaitThenItDrains() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("refused", versioning: true)
        let fixture = try SessionFixture(segments: 3, bytesEach: 100_000)
        defer { fixture.remove() }
        let port = try FreePort.any()  // nothing listens here yet: connections are refused
        let queue = try UploadQueue(spool: fixture.scratch.file("spool"), store: try StoreLocation.open(server.url("refused", port: port)),
                                    options: .init(initialBackoff: 0.2, maxBackoff: 0.5))
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
        queue.start()
        #expect(eventually(10) { queue.status().lastErrorKind == "unreachable_endpoint" })
        // It keeps trying, and keeps everything: a later failure, nothing uploaded.
        let firstFailure = queue.status().lastErrorAt ?? .distantFuture
        #expect(eventually(10) { (queue.status().lastErrorAt ?? .distantPast) > firstFailure }, "the queue never tried again")
        let waiting = queue.status()
        #expect(waiting.backlogItems == fixture.expectedKeys.count)
        #expect(waiting.estimatedSecondsToClear == nil)
        #expect(waiting.text().contains("cannot reach http://127.0.0.1:\(port)"))
        let relay = try LoopbackProxy(port: port, upstreamPort: server.s3Port, corruptions: 0)
        defer { relay.stop() }
        #expect(queue.waitUntilEmpty(timeout: 30))
        queue.stop()
        #expect(queue.status().lastError == nil)
        try expectStoredExactlyOnce(fixture, server: server, bucket: "refused")
    }

    @Test func uploaderKilledMidUploadResumesFromItsSpool() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("resume", versioning: true)
        let fixture = try SessionFixture(segments: 12, bytesEach: 1 << 20)
        defer { fixture.remove() }
        let spool = fixture.scratch.file("spool")
        let first = try BackgroundSealrec(["upload", fixture.folder, "--to", server.url("resume"), "--spool", spool, "--limit", "3000000", "--wait", "120"],
                                          output: fixture.scratch.file("first.log"))
        // Kill once uploading has begun. The 3 MB/s limit keeps the rest (12 MiB) in the queue for
        // seconds, however slow the machine is to get there.
        let uploading = uploadHasBegun(spool: spool)
        first.kill()
        #expect(uploading, "the upload never began")
        let left = try FileManager.default.contentsOfDirectory(atPath: spool + "/queue").count
        #expect(left > 0 && left < fixture.expectedKeys.count, "kill should land mid-upload; \(left) items left")
        let second = try Run.sealrec(["upload", fixture.folder, "--to", server.url("resume"), "--spool", spool])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/queue").isEmpty)
        try expectStoredExactlyOnce(fixture, server: server, bucket: "resume")
    }

    @Test func objectLockKeepsAStoredSegmentFromDeletionAndOverwrite() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("locked", objectLock: true)
        let fixture = try SessionFixture(segments: 2, bytesEach: 50_000)
        defer { fixture.remove() }
        let upload = try Run.sealrec(["upload", fixture.folder, "--to", server.url("locked", extra: "&retention-days=1"),
                                      "--spool", fixture.scratch.file("spool")])
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
        let key = fixture.root + "seg-00000.mp4"
        let versions = try server.aws(["s3api", "list-object-versions", "--bucket", "locked", "--prefix", key, "--query", "Versions[0].VersionId", "--output", "text"])
        let version = versions.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!version.isEmpty && version != "None")

        let retention = try server.aws(["s3api", "get-object-retention", "--bucket", "locked", "--key", key, "--version-id", version])
        #expect(retention.stdout.contains("COMPLIANCE"), "\(retention.stdout)\(retention.stderr)")
        let delete = try server.aws(["s3api", "delete-object", "--bucket", "locked", "--key", key, "--version-id", version])
        #expect(delete.status != 0, "a locked version was deleted: \(delete.stdout)")
        let shorten = try server.aws(["s3api", "put-object-retention", "--bucket", "locked", "--key", key, "--version-id", version,
                                      "--retention", "Mode=COMPLIANCE,RetainUntilDate=2020-01-01T00:00:00Z"])
        #expect(shorten.status != 0, "retention was shortened")
        // An "overwrite" can only add a newer version; the locked one keeps its bytes.
        let other = fixture.scratch.file("other.bin")
        FileManager.default.createFile(atPath: other, contents: Data("not evidence".utf8))
        _ = try server.aws(["s3api", "put-object", "--bucket", "locked", "--key", key, "--body", other])
        let copy = fixture.scratch.file("locked-copy")
        try expectSuccess(server.aws(["s3api", "get-object", "--bucket", "locked", "--key", key, "--version-id", version, copy]))
        #expect(SHA256Hasher.hash(Array(FileManager.default.contents(atPath: copy) ?? Data())).hex == fixture.sha256("seg-00000.mp4"))
        // And our uploader refuses to treat the replaced current version as the segment.
        let store = try S3Store(config: StoreLocation.s3Config(server.url("locked")))
        #expect(throws: StoreError.self) {
            try store.put(file: fixture.folder + "/seg-00000.mp4", key: key, sha256: Digest(hex: fixture.sha256("seg-00000.mp4"))!,
                          length: 50_000, limiter: nil)
        }
    }

    @Test func badCredentialsMissingBucketAndDeadEndpointAreDistinctAndTheQueueWaits() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("exists")
        let fixture = try SessionFixture(segments: 1, bytesEach: 10_000)
        defer { fixture.remove() }
        let wrong = fixture.scratch.file("wrong-credentials")
        try "aws_access_key_id = \(SeaweedServer.accessKey)\naws_secret_access_key = not-the-secret\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        let cases: [(url: String, kind: String, says: String)] = [
            ("s3://exists?endpoint=\(server.endpoint)&credentials=\(wrong)", "bad_credentials", "bad credentials"),
            (server.url("no-such-bucket"), "missing_bucket", "bucket 'no-such-bucket' does not exist"),
            (server.url("exists", port: try FreePort.any()), "unreachable_endpoint", "cannot reach"),
        ]
        for (index, c) in cases.enumerated() {
            let queue = try UploadQueue(spool: fixture.scratch.file("spool-\(index)"), store: try StoreLocation.open(c.url),
                                        options: .init(initialBackoff: 0.2, maxBackoff: 0.5))
            _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
            queue.start()
            #expect(eventually(10) { queue.status().lastErrorKind != nil })
            let status = queue.status()
            queue.stop()
            #expect(status.lastErrorKind == c.kind, "\(c.url): \(status.text())")
            #expect(status.text().contains(c.says), "\(status.text())")
            #expect(status.backlogItems == fixture.expectedKeys.count)
        }
        // The CLI says the same in its log and leaves the items queued (exit 75).
        let cli = try Run.sealrec(["upload", fixture.folder, "--to", "s3://exists?endpoint=\(server.endpoint)&credentials=\(wrong)",
                                   "--spool", fixture.scratch.file("spool-cli"), "--wait", "1.5"])
        #expect(cli.status == 75)
        #expect(cli.stderr.contains("bad credentials") && cli.stderr.contains("SignatureDoesNotMatch"), "\(cli.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.scratch.file("spool-cli/queue")).count == fixture.expectedKeys.count)
    }

    @Test func tlsWorksWithTheConfiguredCAAndFailsClearlyWithout() throws {
        let server = try SeaweedServer(tls: true)
        defer { server.stop() }
        try server.createBucket("secure")
        let fixture = try SessionFixture(segments: 1, bytesEach: 10_000)
        defer { fixture.remove() }
        // Without our CA the system's trust store does not know the server's certificate.
        let untrusted = try UploadQueue(spool: fixture.scratch.file("spool-untrusted"), store: try StoreLocation.open(server.url("secure")),
                                        options: .init(initialBackoff: 0.2, maxBackoff: 0.5))
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: untrusted)
        untrusted.start()
        #expect(eventually(10) { untrusted.status().lastErrorKind != nil })
        untrusted.stop()
        #expect(untrusted.status().lastErrorKind == "tls", "\(untrusted.status().text())")

        let upload = try Run.sealrec(["upload", fixture.folder, "--to", server.url("secure", extra: "&ca=\(server.caFile)"),
                                      "--spool", fixture.scratch.file("spool")])
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
        let verify = try Run.sealrec(["verify", server.url("secure/" + fixture.root.dropLast(), extra: "&ca=\(server.caFile)"), "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    private func expectStoredExactlyOnce(_ fixture: SessionFixture, server: SeaweedServer, bucket: String) throws {
        let versions = try server.versionCounts(bucket: bucket)
        #expect(Set(versions.keys) == fixture.expectedKeys)
        #expect(versions.values.allSatisfy { $0 == 1 }, "duplicated: \(versions.filter { $0.value != 1 })")
        let verify = try Run.sealrec(["verify", server.url(bucket + "/" + fixture.root.dropLast()), "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // Nothing lost locally either: the session folder still verifies.
        let local = try Run.sealrec(["verify", fixture.folder, "--trust", fixture.publicKey])
        #expect(local.status == 0, "\(local.stdout)")
    }
}

/// Collects the queue's log lines (thread-safe).
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}

/// `ROOM/SESSION/` of any session folder.
struct FixtureView {
    let folder: String
    var root: String {
        let manifest = (try? String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8)) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data((manifest.split(separator: "\n").first.map(String.init) ?? "").utf8))) as? [String: Any] ?? [:]
        return SessionLayout(room: json["room_id"] as? String ?? "?", session: json["session_id"] as? String ?? "?").root
    }
}

/// Whether an uploader has confirmed its first item within `seconds`: the first queued item has
/// left the spool's queue (items are queued in order before the first upload, so this is never
/// mid-enqueue) while others wait.
func uploadHasBegun(spool: String, within seconds: Double = 60) -> Bool {
    var firstItem: String?
    return eventually(seconds) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/queue")) ?? []).sorted()
        if firstItem == nil { firstItem = names.first }
        return firstItem.map { !names.contains($0) && !names.isEmpty } ?? false
    }
}
