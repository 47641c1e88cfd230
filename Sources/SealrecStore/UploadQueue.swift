import CSystem
import Foundation
import SealrecCrypto
import SealrecSystem

/// The room's persistent upload queue. `enqueue` only writes a small item file to the spool (no
/// network), so sealing never waits for the store; worker threads upload in the background, oldest
/// first, and an item leaves the spool only after the store has confirmed length and SHA-256.
/// Items survive restarts and crashes: a new queue on the same spool picks them up, and because
/// keys are idempotent an upload interrupted after the store took it is confirmed, not repeated.
public final class UploadQueue: @unchecked Sendable {
    public struct Options: Sendable {
        /// Uploads in flight at once.
        public var concurrency: Int
        /// Total upload rate cap in bytes/s, one budget shared by all workers; nil: none.
        public var maxBytesPerSecond: Int64?
        /// Backoff after a failure: doubles from `initialBackoff` up to `maxBackoff` seconds, with
        /// jitter (a random half of it) so rooms sharing a link do not retry in step.
        public var initialBackoff: Double
        public var maxBackoff: Double
        /// Seconds a confirmed file is kept locally before it is deleted; nil keeps local copies.
        public var localRetention: Double?

        public init(concurrency: Int = 2, maxBytesPerSecond: Int64? = nil, initialBackoff: Double = 1,
                    maxBackoff: Double = 30, localRetention: Double? = nil) {
            self.concurrency = max(1, concurrency)
            self.maxBytesPerSecond = maxBytesPerSecond
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.localRetention = localRetention
        }
    }

    public let store: any ObjectStore
    public let options: Options
    private let limiter: BandwidthLimiter?
    private let spool: SpoolFolder
    private let log: @Sendable (String) -> Void
    private let state = NSCondition()
    private var pending: [UInt64: PendingUpload] = [:]
    private var nextSequence: UInt64 = 0
    private var backoff = StoreBackoff()
    private var meter = ThroughputMeter()
    private var lastError: (error: StoreError, at: Date)?
    private var lastSuccessAt: Date?
    private var workers: [Thread] = []
    private var running = 0
    private var stopping = false
    private var lastSweep = Date.distantPast

    /// Opens (or creates) the spool and loads what an earlier run left in it. Does not start uploading.
    public init(spool path: String, store: any ObjectStore, options: Options = Options(),
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
        self.store = store
        self.options = options
        limiter = options.maxBytesPerSecond.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.log = log
        spool = SpoolFolder(root: path)
        try spool.create()
        for (_, item) in spool.load(UploadItem.self, from: spool.queue) {
            pending[item.sequence] = PendingUpload(item: item)
        }
        let dataNames = spool.entries(spool.data)
        let highest = (pending.keys.max() ?? 0) + 1
        let highestData = dataNames.compactMap { UInt64($0.prefix(12)) }.max().map { $0 + 1 } ?? 0
        nextSequence = max(highest, highestData, spool.entries(spool.stored).compactMap { UInt64($0.prefix(12)) }.max().map { $0 + 1 } ?? 0)
        // Bytes queued by value whose item was never written (a crash inside enqueue) were never
        // promised to anyone: the caller did not get a successful return.
        for name in dataNames where UInt64(name.prefix(12)).map({ pending[$0] == nil }) ?? true {
            unlink(spool.data + "/" + name)
        }
    }

    deinit { stop() }

    // MARK: Enqueueing (never touches the network)

    /// Queues a local file that must reach the store under `key` with exactly this SHA-256 and length.
    /// The file itself stays where it is and must not change.
    public func enqueue(file: String, key: String, sha256: Digest, length: Int64) throws(StoreError) {
        try add(path: file, key: key, sha256: sha256, length: length, spoolOwned: false) { _ in }
    }

    /// Queues bytes by value (a manifest entry, a public key): a copy is kept in the spool until stored.
    public func enqueue(bytes: [UInt8], key: String) throws(StoreError) {
        let digest = SHA256Hasher.hash(bytes)
        try add(path: nil, key: key, sha256: digest, length: Int64(bytes.count), spoolOwned: true) { path throws(StoreError) in
            try spool.write(bytes, to: path)
        }
    }

    /// Records, durably, that everything of the session folder `folder` (through its `end` entry)
    /// is in this queue or already stored, so a restart need not walk the folder again.
    public func markSessionQueued(folder: String) throws(StoreError) {
        try spool.write([], to: spool.sessions + "/" + SpoolFolder.sessionName(folder))
    }

    /// Whether `markSessionQueued` was called for this session folder. A closed session that is
    /// not marked (the daemon died between sealing its last entry and queueing it) must be followed again.
    public func isSessionQueued(folder: String) -> Bool {
        FileManager.default.fileExists(atPath: spool.sessions + "/" + SpoolFolder.sessionName(folder))
    }

    private func add(path: String?, key: String, sha256: Digest, length: Int64, spoolOwned: Bool,
                     writeData: (String) throws(StoreError) -> Void) throws(StoreError) {
        state.lock()
        defer { state.unlock() }
        // The same object queued twice (a re-run of `sealrec upload`, a daemon re-queueing a session
        // after a restart) is one item.
        if pending.values.contains(where: { $0.item.key == key && $0.item.sha256 == sha256.hex }) { return }
        let sequence = nextSequence
        let dataPath = path ?? spool.data + "/" + SpoolFolder.name(sequence, ".bin")
        try writeData(dataPath)
        let item = UploadItem(sequence: sequence, path: dataPath, key: key, sha256: sha256.hex, length: length,
                              spoolOwned: spoolOwned, enqueuedAt: Date().timeIntervalSince1970)
        let encoded: Data
        do { encoded = try JSONEncoder().encode(item) } catch { throw .localFile(path: spool.queue, detail: "\(error)") }
        try spool.write(Array(encoded), to: spool.queue + "/" + SpoolFolder.name(sequence, ".json"))
        nextSequence += 1
        pending[sequence] = PendingUpload(item: item)
        state.broadcast()
    }

    // MARK: Workers

    /// Starts the upload workers (idempotent).
    public func start() {
        state.lock()
        defer { state.unlock() }
        guard workers.isEmpty else { return }
        stopping = false
        for index in 0..<options.concurrency {
            let thread = Thread { [self] in work() }
            thread.name = "upload-\(index)"
            // Below capture and encoding: uploads must never take CPU from the recording.
            thread.qualityOfService = .background
            workers.append(thread)
            running += 1
            thread.start()
        }
        if options.localRetention != nil {
            // Local copies must go when due even while nothing new is uploaded.
            let sweeper = Thread { [self] in sweepUntilStopped() }
            sweeper.name = "upload-sweeper"
            workers.append(sweeper)
            running += 1
            sweeper.start()
        }
    }

    private func sweepUntilStopped() {
        ThreadPriority.lowerCurrent(by: 10)
        state.lock()
        while !stopping {
            state.unlock()
            sweepLocalCopiesIfDue()
            state.lock()
            _ = state.wait(until: Date().addingTimeInterval(10))
        }
        running -= 1
        state.broadcast()
        state.unlock()
    }

    /// Stops the workers after their current transfer; items stay in the spool for the next start.
    public func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        while running > 0 { state.wait() }
        workers = []
        state.unlock()
    }

    /// Waits until every item is confirmed; false when `timeout` seconds passed first.
    public func waitUntilEmpty(timeout: Double) -> Bool {
        // Foundation traps on dates past year ~292 billion: cap "forever" at a century.
        let deadline = Date().addingTimeInterval(min(timeout, 3_153_600_000))
        state.lock()
        defer { state.unlock() }
        while !pending.isEmpty {
            if Date() >= deadline { return false }
            _ = state.wait(until: min(deadline, Date().addingTimeInterval(1)))
        }
        return true
    }

    public func status() -> UploadStatus {
        state.lock()
        defer { state.unlock() }
        let backlogBytes = pending.values.reduce(Int64(0)) { $0 + $1.item.length }
        let rate = meter.bytesPerSecond(now: Date())
        let failing = lastError != nil
        return UploadStatus(
            store: store.description, backlogItems: pending.count, backlogBytes: backlogBytes,
            inFlight: pending.values.filter(\.inFlight).count, uploadedItems: meter.totalItems,
            uploadedBytes: meter.totalBytes, bytesPerSecond: rate,
            estimatedSecondsToClear: pending.isEmpty ? 0 : (rate > 0 && !failing ? Double(backlogBytes) / rate : nil),
            lastErrorKind: lastError?.error.kind, lastError: lastError?.error.description, lastErrorAt: lastError?.at,
            lastSuccessAt: lastSuccessAt)
    }

    private func work() {
        // Linux ignores Foundation's thread QoS: lower this thread's own nice value so capture and
        // encoding threads always win the CPU.
        ThreadPriority.lowerCurrent(by: 10)
        while let item = nextItem() {
            let started = Date()
            do {
                guard let digest = Digest(hex: item.sha256) else {
                    throw StoreError.localFile(path: item.path, detail: "queue item has no valid SHA-256")
                }
                try store.put(file: item.path, key: item.key, sha256: digest, length: item.length, limiter: limiter)
                try finished(item, started: started)
            } catch let error as StoreError {
                failed(item, error)
            } catch {
                failed(item, .localFile(path: item.path, detail: "\(error)"))
            }
        }
        state.lock()
        running -= 1
        state.broadcast()
        state.unlock()
    }

    /// The oldest item that may be tried now, marked in flight; nil when stopping.
    private func nextItem() -> UploadItem? {
        state.lock()
        defer { state.unlock() }
        while !stopping {
            let now = MonotonicClock.seconds()
            let ready = backoff.storeReadyAt <= now
                ? pending.values.filter { !$0.inFlight && $0.notBefore <= now }.min { $0.item.sequence < $1.item.sequence }
                : nil
            if let ready {
                pending[ready.item.sequence]?.inFlight = true
                return ready.item
            }
            let waiting = pending.values.filter { !$0.inFlight }.map(\.notBefore) + [backoff.storeReadyAt]
            let wake = waiting.filter { $0 > now }.min() ?? now + 5
            // The condition waits on the wall clock: only for the interval, at most 5 s, so a
            // stepped clock delays a retry by no more than that.
            _ = state.wait(until: Date().addingTimeInterval(min(wake - now, 5)))
        }
        return nil
    }

    private func finished(_ item: UploadItem, started: Date) throws(StoreError) {
        if options.localRetention != nil && !item.spoolOwned {
            let record = StoredRecord(path: item.path, key: item.key, sha256: item.sha256, storedAt: Date().timeIntervalSince1970)
            let encoded = (try? JSONEncoder().encode(record)) ?? Data()
            try spool.write(Array(encoded), to: spool.stored + "/" + SpoolFolder.name(item.sequence, ".json"))
        }
        // The item file goes first: a crash between the two leaves only a spool copy with no item,
        // which the next start removes.
        try spool.remove(spool.queue + "/" + SpoolFolder.name(item.sequence, ".json"))
        if item.spoolOwned { unlink(item.path) }
        state.lock()
        pending[item.sequence] = nil
        meter.record(bytes: item.length, started: started, finished: Date())
        if let previous = lastError { log("upload: \(store.description) works again after: \(previous.error)") }
        lastError = nil
        lastSuccessAt = Date()
        backoff.succeeded()
        state.broadcast()
        state.unlock()
    }

    private func failed(_ item: UploadItem, _ error: StoreError) {
        state.lock()
        let delay: Double
        if StoreBackoff.isStoreWide(error) {
            // The whole store is unusable (down, refusing our key, no bucket): all items wait together.
            delay = backoff.storeFailed(initial: options.initialBackoff, maximum: options.maxBackoff)
            pending[item.sequence]?.inFlight = false
        } else {
            pending[item.sequence]?.attempts += 1
            let attempts = pending[item.sequence]?.attempts ?? 1
            delay = StoreBackoff.jittered(attempt: attempts, initial: options.initialBackoff, maximum: options.maxBackoff)
            pending[item.sequence]?.inFlight = false
            pending[item.sequence]?.notBefore = MonotonicClock.seconds() + delay
        }
        lastError = (error, Date())
        state.broadcast()
        state.unlock()
        log(String(format: "upload: %@ failed, retry in %.1f s: %@ [%@]", item.key, delay, error.description, error.kind))
    }

    // MARK: Local retention

    /// Deletes local files whose upload was confirmed at least `localRetention` seconds ago, after
    /// checking once more that the store still holds them.
    public func sweepLocalCopies(now: Date = Date()) {
        guard let retention = options.localRetention else { return }
        for (name, record) in spool.load(StoredRecord.self, from: spool.stored) where record.storedAt + retention <= now.timeIntervalSince1970 {
            guard let held = try? store.head(key: record.key), held.sha256.map({ $0.hex == record.sha256 }) ?? true else { continue }
            unlink(record.path)
            try? spool.remove(spool.stored + "/" + name)
        }
    }

    private func sweepLocalCopiesIfDue() {
        state.lock()
        let due = options.localRetention != nil && Date().timeIntervalSince(lastSweep) > 10
        if due { lastSweep = Date() }
        state.unlock()
        if due { sweepLocalCopies() }
    }
}

/// An item in memory: its retry state is not persisted (a restart retries at once, which is right).
struct PendingUpload {
    let item: UploadItem
    var attempts = 0
    /// Not retried before this `Uptime` instant.
    var notBefore = -Double.infinity
    var inFlight = false
}
