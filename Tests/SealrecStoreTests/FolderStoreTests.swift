import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

@Suite struct FolderStoreTests {
    @Test func storesVerifiesAndNeverOverwrites() throws {
        let scratch = Scratch("folderstore")
        defer { scratch.remove() }
        let store = FolderStore(root: scratch.file("store"))
        let source = scratch.file("a.bin")
        let bytes = (0..<100_000).map { UInt8($0 % 251) }
        FileManager.default.createFile(atPath: source, contents: Data(bytes))
        let digest = SHA256Hasher.hash(bytes)

        let stored = try store.put(file: source, key: "room/s/a.bin", sha256: digest, length: 100_000, limiter: nil)
        #expect(stored.sha256 == digest)
        #expect(try store.head(key: "room/s/a.bin") == ObjectInfo(key: "room/s/a.bin", length: 100_000, sha256: digest))
        // Putting the same bytes again is a no-op (idempotent keys), not an error.
        try store.put(file: source, key: "room/s/a.bin", sha256: digest, length: 100_000, limiter: nil)

        // Different bytes under the same key are refused and the stored object is unchanged.
        let other = scratch.file("b.bin")
        FileManager.default.createFile(atPath: other, contents: Data([1, 2, 3]))
        #expect(throws: StoreError.self) {
            try store.put(file: other, key: "room/s/a.bin", sha256: SHA256Hasher.hash([1, 2, 3]), length: 3, limiter: nil)
        }
        #expect(try store.head(key: "room/s/a.bin")?.sha256 == digest)

        // Bytes that do not match the sealed SHA-256 never appear under the key.
        do {
            try store.put(file: other, key: "room/s/c.bin", sha256: digest, length: 3, limiter: nil)
            Issue.record("a wrong checksum was accepted")
        } catch {
            #expect(error.kind == "checksum_mismatch")
        }
        #expect(try store.head(key: "room/s/c.bin") == nil)
        #expect(try store.list(prefix: "room/") == ["room/s/a.bin"])

        let copy = scratch.file("copy.bin")
        #expect(try store.get(key: "room/s/a.bin", to: copy, maxBytes: 100_000).sha256 == digest)
        #expect(FileManager.default.contents(atPath: copy) == Data(bytes))
        #expect(throws: StoreError.self) { try store.head(key: "../escape") }
    }

    @Test func queueSurvivesRestartAndUploadsEverything() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 50_000)
        defer { fixture.remove() }
        let storeRoot = fixture.scratch.file("store")
        let spool = fixture.scratch.file("spool")
        do {
            // A queue that never starts: as if the daemon died right after sealing.
            let queue = try UploadQueue(spool: spool, store: FolderStore(root: storeRoot))
            let summary = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
            #expect(summary.closed)
            #expect(queue.status().backlogItems == fixture.expectedKeys.count)
        }
        let queue = try UploadQueue(spool: spool, store: FolderStore(root: storeRoot), options: .init(localRetention: 0))
        #expect(queue.status().backlogItems == fixture.expectedKeys.count)
        // Queueing the session again adds nothing: the same objects are already waiting.
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
        #expect(queue.status().backlogItems == fixture.expectedKeys.count)
        queue.start()
        #expect(queue.waitUntilEmpty(timeout: 30))
        queue.stop()
        #expect(Set(try FolderStore(root: storeRoot).list(prefix: "")) == fixture.expectedKeys)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/queue").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/data").isEmpty)

        let verify = try Run.sealrec(["verify", "file://" + storeRoot + "/" + fixture.root, "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // Local retention 0: once confirmed, the sweep removes the local segments (and only those).
        queue.sweepLocalCopies()
        #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/seg-00000.mp4"))
        #expect(FileManager.default.fileExists(atPath: fixture.folder + "/manifest.jsonl"))
    }

    @Test func localCopiesStayWithoutRetentionSetting() throws {
        let fixture = try SessionFixture(segments: 1, bytesEach: 10_000)
        defer { fixture.remove() }
        let queue = try UploadQueue(spool: fixture.scratch.file("spool"), store: FolderStore(root: fixture.scratch.file("store")))
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
        queue.start()
        #expect(queue.waitUntilEmpty(timeout: 30))
        queue.sweepLocalCopies()
        queue.stop()
        #expect(FileManager.default.fileExists(atPath: fixture.folder + "/seg-00000.mp4"))
    }
}
