import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

@Suite struct LiveUploadTests {
    /// The daemon's path: objects are queued one by one as they are sealed and reach the store while
    /// the session is still going; at the end the store holds a session the verifier accepts.
    @Test func objectsReachTheStoreWhileTheSessionIsStillGoing() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 30_000)
        defer { fixture.remove() }
        let storeRoot = fixture.scratch.file("store")
        let store = FolderStore(root: storeRoot)
        let queue = try UploadQueue(spool: fixture.scratch.file("spool"), store: store)
        queue.start()
        defer { queue.stop() }
        let lines = try String(contentsOfFile: fixture.folder + "/manifest.jsonl", encoding: .utf8).split(separator: "\n")
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any] ?? [:]
        let live = LiveSessionUpload(queue: queue, layout: SessionLayout(room: first["room_id"] as! String, session: first["session_id"] as! String))
        try live.publicKey(pem: Array(FileManager.default.contents(atPath: fixture.folder + "/room.pub.pem")!))
        for (seq, line) in lines.enumerated() {
            let fields = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            if fields["type"] as? String == "segment", let name = fields["file"] as? String {
                try live.segment(path: fixture.folder + "/" + name, sha256: Digest(hex: fields["sha256"] as! String)!,
                                 length: (fields["bytes"] as! NSNumber).int64Value)
                // Uploaded before the next segment is sealed, not at the end.
                #expect(eventually(10) { (try? store.head(key: live.layout.segment(name))) != nil }, "\(name) not uploaded during the session")
            }
            try live.manifestEntry(seq: seq, line: Array((line + "\n").utf8))
        }
        try live.sessionEnded(folder: fixture.folder)
        #expect(queue.waitUntilEmpty(timeout: 30))
        let status = queue.status()
        #expect(status.backlogItems == 0 && status.lastError == nil)
        #expect(status.uploadedItems == fixture.expectedKeys.count)
        #expect(status.json().contains("\"backlog_items\":0"))
        let verify = try Run.sealrec(["verify", "file://" + storeRoot + "/" + live.layout.root, "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// The follower reads the manifest as the sealer grows it: each poll queues only the new complete
    /// lines (a half-written last line waits), and segments reach the store during the session.
    @Test func followerQueuesEachNewEntryAsTheManifestGrows() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 30_000)
        defer { fixture.remove() }
        let growing = try fixture.copyWithoutManifest()
        let lines = try String(contentsOfFile: fixture.folder + "/manifest.jsonl", encoding: .utf8).split(separator: "\n").map { $0 + "\n" }
        let (storeRoot, store, queue) = try fixture.startedQueue()
        defer { queue.stop() }
        let follower = SessionFollower(folder: growing, queue: queue)
        var written = ""
        for (index, line) in lines.enumerated() {
            // Half a line first: not an entry yet.
            let half = line.prefix(line.count / 2)
            try (written + half).write(toFile: growing + "/manifest.jsonl", atomically: false, encoding: .utf8)
            #expect(try follower.poll() == 0)
            written += line
            try written.write(toFile: growing + "/manifest.jsonl", atomically: false, encoding: .utf8)
            #expect(try follower.poll() == 1, "line \(index)")
            if index == 1 {
                let key = follower.layout!.segment("seg-00000.mp4")
                #expect(eventually(10) { (try? store.head(key: key)) != nil }, "first segment not uploaded during the session")
                #expect(try store.head(key: follower.layout!.manifest) == nil)
            }
        }
        #expect(follower.ended && follower.segments == 3)
        #expect(queue.waitUntilEmpty(timeout: 30))
        #expect(Set(try store.list(prefix: "")) == fixture.expectedKeys)
        let verify = try Run.sealrec(["verify", "file://" + storeRoot + "/" + fixture.root, "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// The sealer's path: each line is handed over with what it names, and queued without the
    /// manifest being read (it does not exist until the end here, so a read would find nothing).
    /// A line that was not handed over is made up from the manifest when the next one comes.
    @Test func sealedLinesAreQueuedAsHandedOverAndAMissedOneIsMadeUp() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 30_000)
        defer { fixture.remove() }
        let growing = try fixture.copyWithoutManifest()
        let manifest = try String(contentsOfFile: fixture.folder + "/manifest.jsonl", encoding: .utf8)
        let lines = manifest.split(separator: "\n").map { Array(($0 + "\n").utf8) }
        let (storeRoot, store, queue) = try fixture.startedQueue()
        defer { queue.stop() }
        let follower = SessionFollower(folder: growing, queue: queue)
        var offset = 0
        for (index, bytes) in lines.enumerated() {
            defer { offset += bytes.count }
            let line = SessionFollower.read(bytes, folder: growing)
            if index == 2 { continue }  // never handed over (the sealer could not read it back)
            if index == 3 {
                // The manifest as the sealer has written it by now: lines 0 to 3.
                try Data(lines[...3].flatMap { $0 }).write(to: URL(fileURLWithPath: growing + "/manifest.jsonl"))
            }
            try follower.sealed(bytes, at: offset, line)
            #expect(follower.entries == index + 1, "line \(index)")
            if index == 1 {
                #expect(!FileManager.default.fileExists(atPath: growing + "/manifest.jsonl"))
                let key = follower.layout!.segment("seg-00000.mp4")
                #expect(eventually(10) { (try? store.head(key: key)) != nil }, "first segment not uploaded during the session")
            }
            if index == lines.count - 2 {
                try manifest.write(toFile: growing + "/manifest.jsonl", atomically: false, encoding: .utf8)
            }
        }
        // Handed over again (a repeated call): already queued, nothing new.
        try follower.sealed(lines[1], at: lines[0].count, SessionFollower.read(lines[1], folder: growing))
        #expect(follower.ended && follower.segments == 3 && follower.entries == lines.count)
        #expect(queue.waitUntilEmpty(timeout: 30))
        #expect(Set(try store.list(prefix: "")) == fixture.expectedKeys)
        let verify = try Run.sealrec(["verify", "file://" + storeRoot + "/" + fixture.root, "--trust", fixture.publicKey])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// A store holding only some entries yields a manifest cut at the first gap, which the verifier
    /// rejects as unclosed: a partial upload never passes as a complete session.
    @Test func aSessionMissingObjectsDoesNotVerifyFromTheStore() throws {
        let fixture = try SessionFixture(segments: 2, bytesEach: 20_000)
        defer { fixture.remove() }
        let storeRoot = fixture.scratch.file("store")
        let queue = try UploadQueue(spool: fixture.scratch.file("spool"), store: FolderStore(root: storeRoot))
        _ = try SessionUpload.enqueue(folder: fixture.folder, into: queue)
        queue.start()
        #expect(queue.waitUntilEmpty(timeout: 30))
        queue.stop()
        let store = FolderStore(root: storeRoot)
        try store.delete(key: fixture.root + "manifest.jsonl")
        try store.delete(key: fixture.root + "manifest/00000002.jsonl")
        let verify = try Run.sealrec(["verify", "file://" + storeRoot + "/" + fixture.root, "--trust", fixture.publicKey])
        #expect(verify.status == 1, "\(verify.stdout)")
    }
}

extension SessionFixture {
    /// The session folder without its manifest, for a test to write it as the sealer would.
    func copyWithoutManifest() throws -> String {
        let growing = scratch.file("growing")
        try FileManager.default.createDirectory(atPath: growing, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != "manifest.jsonl" {
            try FileManager.default.copyItem(atPath: folder + "/" + name, toPath: growing + "/" + name)
        }
        return growing
    }

    /// A folder store in the scratch folder (its root, the store) and a started upload queue into it.
    func startedQueue() throws -> (String, FolderStore, UploadQueue) {
        let root = scratch.file("store")
        let store = FolderStore(root: root)
        let queue = try UploadQueue(spool: scratch.file("spool"), store: store)
        queue.start()
        return (root, store, queue)
    }
}
