import Foundation
import SealrecDaemon
import SealrecStore

/// `sealrec record --upload-to STORE`: the session's objects go to the store while it records, the
/// way the daemon does it — the sealer hands each durable entry (and its segment) to the upload
/// queue, which uploads in the background. After the recording ends it waits (up to
/// `--upload-wait` seconds) for the queue to clear; whatever is left stays in the spool.
final class RecordUpload: @unchecked Sendable {
    private let queue: UploadQueue
    /// The sealer's sink.
    let sink: SealedUpload
    private let spool: String

    init(store location: String, spool: String?, folder: String) throws {
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        self.spool = spool ?? (absolute as NSString).deletingLastPathComponent + "/.sealrec-spool"
        queue = try UploadQueue(spool: self.spool, store: try StoreLocation.open(location)) { Output.error($0) }
        sink = SealedUpload(folder: absolute, queue: queue) { Output.error($0) }
    }

    func start() {
        queue.start()
    }

    /// Queues what the sealer could not hand over, and waits for the store; true when all is stored.
    func finish(timeout: Double) -> Bool {
        sink.catchUp()
        let done = queue.waitUntilEmpty(timeout: timeout)
        queue.stop()
        let status = queue.status()
        print("upload to \(safe(status.store)): \(done ? "all \(status.uploadedItems) objects stored" : "\(status.backlogItems) objects wait in \(safe(spool))")")
        return done
    }
}
