import Foundation
import SealrecRoom
import SealrecStore

/// The live upload of a session being recorded (daemon and `sealrec record --upload-to`): the
/// sealer hands over each entry once its line is durable, and it goes straight into the persistent
/// upload queue (a spool write, never the network). An entry that cannot be queued is not lost:
/// the next one (or `catchUp`) queues it from the manifest, and a session whose `end` was never
/// queued is queued again on the next start (`RoomController.queueUnfinishedUploads`).
public final class SealedUpload: SealedEntrySink, @unchecked Sendable {
    public let follower: SessionFollower
    private let lock = NSLock()
    private let report: @Sendable (String) -> Void
    private var lastProblem: String?

    /// `report` hears each distinct problem once (recording goes on regardless).
    public init(folder: String, queue: UploadQueue, report: @escaping @Sendable (String) -> Void) {
        follower = SessionFollower(folder: folder, queue: queue)
        self.report = report
    }

    public func sealed(_ entry: SealedEntry) {
        var line = SessionFollower.Line()
        switch entry.kind {
        case let .session(room, session): line.ids = (room, session)
        case let .segment(path, length, sha256): line.segment = (path, sha256, length)
        case .event: break
        case .end: line.isEnd = true
        }
        attempt { () throws(StoreError) in try follower.sealed(entry.line, at: entry.offset, line) }
    }

    /// Queues whatever the manifest holds that is not queued yet (after the session has ended).
    public func catchUp() {
        attempt { () throws(StoreError) in _ = try follower.poll() }
    }

    private func attempt(_ body: () throws(StoreError) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        do { try body() } catch {
            let problem = "upload: cannot queue \(follower.folder): \(error)"
            if problem != lastProblem { report(problem) }
            lastProblem = problem
        }
    }
}
