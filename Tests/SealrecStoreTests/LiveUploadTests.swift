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
