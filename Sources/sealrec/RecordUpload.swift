import Foundation
import SealrecStore

/// `sealrec record --upload-to STORE`: the session's objects go to the store while it records, the
/// way the daemon does it — a follower polls the manifest the sealer writes and queues each new
/// segment and entry; the queue uploads in the background. After the recording ends it waits (up to
/// `--upload-wait` seconds) for the queue to clear; whatever is left stays in the spool.
final class RecordUpload: @unchecked Sendable {
    private let queue: UploadQueue
    private let follower: SessionFollower
    private let spool: String
    private let stopped = NSCondition()
    private var stopping = false
    /// Set by the poller as it leaves, under `stopped`: what it wrote is then visible to `finish`.
    private var pollerDone = true
    private var lastPollError: String?

    init(store location: String, spool: String?, folder: String) throws {
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        self.spool = spool ?? (absolute as NSString).deletingLastPathComponent + "/.sealrec-spool"
        queue = try UploadQueue(spool: self.spool, store: try StoreLocation.open(location)) { Output.error($0) }
        follower = SessionFollower(folder: absolute, queue: queue)
    }

    func start() {
        queue.start()
        pollerDone = false
        let thread = Thread { [self] in
            stopped.lock()
            while !stopping {
                stopped.unlock()
                poll()
                stopped.lock()
                _ = stopped.wait(until: Date().addingTimeInterval(0.25))
            }
            pollerDone = true
            stopped.broadcast()
            stopped.unlock()
        }
        thread.name = "upload-follower"
        thread.start()
    }

    /// Stops following, queues the last entries, and waits for the store; true when all is stored.
    func finish(timeout: Double) -> Bool {
        stopped.lock()
        stopping = true
        stopped.broadcast()
        while !pollerDone { stopped.wait() }
        stopped.unlock()
        poll()
        let done = queue.waitUntilEmpty(timeout: timeout)
        queue.stop()
        let status = queue.status()
        print("upload to \(safe(status.store)): \(done ? "all \(status.uploadedItems) objects stored" : "\(status.backlogItems) objects wait in \(safe(spool))")")
        return done
    }

    private func poll() {
        do {
            try follower.poll()
        } catch {
            // Logged once per distinct problem; recording goes on regardless.
            if "\(error)" != lastPollError { Output.error("upload: cannot queue: \(error)") }
            lastPollError = "\(error)"
        }
    }
}
