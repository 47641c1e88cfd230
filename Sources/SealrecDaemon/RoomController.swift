import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecPipeline
import SealrecRoom
import SealrecSeal
import SealrecStore
import SealrecSystem

/// The room: at most one session at a time, through an explicit state machine
/// (idle → starting → recording → stopping → sealed; failed), driven by control requests.
public final class RoomController: @unchecked Sendable {
    public enum State: String, Sendable { case idle, starting, recording, stopping, sealed, failed }

    private struct Current {
        let id: String
        let folder: String
        let metadata: SessionMetadata
        let session: RecordingSession
        let requestedAt: Int64
        let progress: ProgressObserver
        let upload: SealedUpload?
    }

    /// Guards the state; signalled on every transition (`shutdown` waits for a seal to end on it).
    private let lock = NSCondition()
    private(set) var config: RoomConfig
    private let key: RoomKey
    private var state: State = .idle
    private var current: Current?
    private var lastSession: (id: String, reason: String, verification: String, folder: String)?
    private var failure: String?
    private var markRate = TokenBucket(burst: RoomController.markBurst, perSecond: RoomController.marksPerSecond)
    public let sessionsFolder: String
    private var currentMarker: String { config.daemon.spool + "/current.json" }
    private var recovery: StartupRecovery {
        StartupRecovery(sessionsFolder: sessionsFolder, markerPath: currentMarker, key: key, uploads: uploads)
    }
    /// Uploads to the central store; its queue lives in the spool and survives restarts.
    public let uploads: UploadQueue?

    /// Loads the room key (refusing a missing or exposed one) and prepares the spool.
    public init(config: RoomConfig) throws {
        self.config = config
        do { key = try RoomKey.load(from: URL(fileURLWithPath: config.daemon.key)) } catch {
            throw ConfigError("room key: \(error)")
        }
        sessionsFolder = config.daemon.spool + "/sessions"
        try FileManager.default.createDirectory(atPath: sessionsFolder, withIntermediateDirectories: true)
        // A spool made by an earlier version may be open to the daemon's group: close it.
        for folder in [config.daemon.spool, sessionsFolder] where chmod(folder, 0o700) != 0 {
            throw ConfigError("cannot restrict \(folder) to the daemon's user: \(String(cString: strerror(errno)))")
        }
        if let location = config.daemon.store {
            let d = config.daemon
            do {
                uploads = try UploadQueue(spool: d.spool + "/upload", store: try StoreLocation.open(location),
                                          options: .init(concurrency: d.uploadConcurrency, maxBytesPerSecond: d.uploadMaxBytesPerSecond.map(Int64.init),
                                                         localRetention: d.localRetentionHours.map { $0 * 3600 }),
                                          log: { Log.info("upload: \(SafeText.escape($0))") })  // may quote the store's answer
            } catch { throw ConfigError("daemon.store \(location): \(error)") }
            uploads?.start()
        } else {
            uploads = nil
        }
    }

    public var currentState: State { lock.lock(); defer { lock.unlock() }; return state }

    /// With `lock` held.
    private func transition(_ to: State, _ note: String) {
        Log.notice("state \(state.rawValue) -> \(to.rawValue): \(note)")
        state = to
        lock.broadcast()
        SystemdNotifier.status("\(to.rawValue)\(current.map { " \($0.id)" } ?? "")")
    }

    // MARK: - Requests

    public func handle(_ request: ControlRequest) -> ControlReply {
        switch request {
        case let .start(caseNumber, participants): return start(caseNumber: caseNumber, participants: participants)
        case .stop: return stop(reason: .stopped)
        case .status: return status()
        case let .mark(text): return mark(text)
        }
    }

    /// Idempotent: a press while recording answers with the running session.
    public func start(caseNumber: String?, participants: [String], continuing previous: Interruption? = nil) -> ControlReply {
        let requestedAt = MonotonicClock.now()
        lock.lock()
        if let c = current, state == .recording || state == .starting {
            lock.unlock()
            var r = status()
            r.alreadyRecording = true
            r.session = c.id
            return r
        }
        guard state != .stopping else { lock.unlock(); return .failure("a session is being sealed; press start again in a moment") }
        let metadata = SessionMetadata(sessionID: SessionMetadata.newSessionID(room: config.room.id),
                                       caseNumber: caseNumber, participants: participants)
        do { try metadata.validate() } catch { lock.unlock(); return .failure("start refused: \(error)") }
        let free = DiskSpace.freeBytes(config.daemon.spool) ?? 0
        let reserve = Int64(config.daemon.reserveMegabytes) * 1_048_576
        guard free > reserve else {
            lock.unlock()
            Log.warning("start refused: \(free / 1_048_576) MB free in \(config.daemon.spool), reserve is \(config.daemon.reserveMegabytes) MB")
            return .failure("start refused: only \(free / 1_048_576) MB free on the spool disk, below the \(config.daemon.reserveMegabytes) MB reserve")
        }
        transition(.starting, metadata.sessionID)
        let folder = sessionsFolder + "/" + metadata.sessionID
        do {
            try CurrentSessionMarker(metadata).write(to: currentMarker)
            // Each sealed entry is queued for upload at once: uploading runs during the session.
            let upload = uploads.map { SealedUpload(folder: folder, queue: $0) { Log.error(SafeText.escape($0)) } }
            let sealer = Sealer(folder: folder, key: key, metadata: metadata, config: config, sink: upload)
            let progress = ProgressObserver(next: sealer)
            let session = try RecordingSession(config: config, folder: folder, options: .init(caseNumber: caseNumber), observer: progress)
            session.start()
            // The record of the new session says what it continues and how long the gap was.
            if let previous { session.mark(previous.linkText) }
            markRate = TokenBucket(burst: Self.markBurst, perSecond: Self.marksPerSecond)
            current = Current(id: metadata.sessionID, folder: folder, metadata: metadata, session: session,
                              requestedAt: requestedAt, progress: progress, upload: upload)
            failure = nil
            transition(.recording, metadata.sessionID)
            lock.unlock()
            var r = status()
            r.session = metadata.sessionID
            return r
        } catch {
            CurrentSessionMarker.remove(currentMarker)
            failure = "\(error)"
            transition(.failed, "start failed: \(error)")
            lock.unlock()
            return .failure("start failed: \(error)")
        }
    }

    /// Ends the session, waits until it is sealed, verifies it and answers with the summary.
    public func stop(reason: StopReason) -> ControlReply {
        lock.lock()
        guard let c = current, state == .recording else {
            let s = state
            lock.unlock()
            return .failure("not recording (state: \(s.rawValue))")
        }
        transition(.stopping, "\(c.id) (\(reason.rawValue))")
        lock.unlock()
        // A crash while sealing must not bring back recording someone has just stopped (or that a
        // full disk ended): the marker says so before the session is told to stop. Written outside
        // the lock (the `.stopping` state keeps start out): two fsyncs on a struggling disk must not
        // hold up status or the watchdog. An error stop (the daemon cannot serve) still resumes.
        if reason != .error {
            do { try CurrentSessionMarker(c.metadata, stopping: true).write(to: currentMarker) } catch { Log.warning("cannot mark \(c.id) as stopping: \(error)") }
        }
        c.session.stop(reason: reason)
        return finish(c)
    }

    /// Shutdown (SIGTERM): seals the running session, or waits for the one already being sealed (a
    /// stop request, a full disk, a session that ended by itself), so the daemon never exits
    /// mid-seal. Returns the sealed session's reply when this call did the sealing.
    public func shutdown() -> ControlReply? {
        // Refused (no session in the reply) when nothing records or another stop took it first.
        let r = stop(reason: .stopped)
        lock.lock()
        while state == .stopping { lock.wait() }
        lock.unlock()
        return r.session != nil ? r : nil
    }

    /// Seals, verifies and records the outcome of a session that has stopped or ended by itself.
    private func finish(_ c: Current) -> ControlReply {
        let result = c.session.wait()
        c.upload?.catchUp()
        let report = Verifier.verify(folder: URL(fileURLWithPath: c.folder), trusted: [key.publicKey])
        lock.lock()
        CurrentSessionMarker.remove(currentMarker)
        lastSession = (c.id, result.reason.rawValue, report.text(), c.folder)
        current = nil
        if report.verdict == .verified {
            transition(.sealed, "\(c.id): \(result.segments.count) segments, \(String(format: "%.1f", result.durationSeconds)) s, \(result.reason.rawValue)")
        } else {
            failure = "session \(c.id) did not verify"
            transition(.failed, "\(c.id) did not verify:\n\(report.text())")
        }
        if let f = result.failure { Log.warning("session \(c.id): \(f)") }
        lock.unlock()
        var r = ControlReply(ok: report.verdict == .verified, error: report.verdict == .verified ? nil : "session did not verify")
        r.state = currentState.rawValue
        r.session = c.id
        r.sessionFolder = c.folder
        r.lastEndReason = result.reason.rawValue
        r.verification = report.text()
        r.segmentsSealed = result.segments.count
        r.elapsedSeconds = result.durationSeconds
        return r
    }

    /// Marks per session: a burst of `markBurst`, then `marksPerSecond`.
    public static let markBurst = 10
    public static let marksPerSecond = 2.0

    /// A marker in the running session's record. Never waits: a mark over the rate, over the
    /// manifest's budget for markers, or while too many wait to be sealed is refused, never queued
    /// in the way of media.
    public func mark(_ text: String) -> ControlReply {
        lock.lock()
        guard let c = current, state == .recording else {
            let s = state
            lock.unlock()
            return .failure("not recording (state: \(s.rawValue)); a marker needs a session")
        }
        let allowed = markRate.take()
        lock.unlock()
        guard allowed else {
            return .failure("mark refused: more than \(Int(Self.marksPerSecond)) marks a second (after a burst of \(Self.markBurst))")
        }
        var st = stat()
        if stat(c.folder + "/" + SessionFiles.manifest, &st) == 0, Int64(st.st_size) >= ManifestFormat.markerBudgetBytes {
            return .failure("mark refused: the session's manifest has reached its \(ManifestFormat.markerBudgetBytes / 1_048_576) MiB budget for markers")
        }
        guard c.session.mark(text) else {
            return .failure("mark refused: \(RecordingSession.markerLane) marks are already waiting to be sealed; try again in a moment")
        }
        Log.info("marker in \(c.id): \(Log.excerpt(text))")
        var r = ControlReply(ok: true)
        r.session = c.id
        r.state = State.recording.rawValue
        return r
    }

    public func status() -> ControlReply {
        lock.lock()
        let recording = current.map { c in
            RoomStatus.Recording(id: c.id, folder: c.folder, zero: c.session.timeline.zero, requestedAt: c.requestedAt,
                                 segments: c.progress.segments, bytes: c.progress.bytes,
                                 droppedBuffers: c.session.droppedBuffers, audioLevels: c.session.audioLevels)
        }
        let status = RoomStatus(state: state.rawValue, recording: recording, failure: failure,
                                lastSession: lastSession.map { ($0.id, $0.reason, $0.verification) },
                                freeBytes: DiskSpace.freeBytes(config.daemon.spool),
                                reserveBytes: Int64(config.daemon.reserveMegabytes) * 1_048_576,
                                cameras: config.cameras.count, microphones: config.microphones.count,
                                uploads: uploads?.status(), clockSynchronized: SystemClockStatus.isSynchronized)
        lock.unlock()
        return status.reply(now: MonotonicClock.now())
    }

    // MARK: - Housekeeping

    /// Called about once a second: ends a session that ended by itself, stops before the disk
    /// fills. Returns whether the recording loop is healthy (for the watchdog).
    public func tick() -> Bool {
        lock.lock()
        let c = current
        let s = state
        let reserve = Int64(config.daemon.reserveMegabytes) * 1_048_576
        lock.unlock()
        guard let c, s == .recording else { return true }
        if c.session.hasEnded {
            Log.warning("session \(c.id) ended by itself")
            lock.lock(); transition(.stopping, "\(c.id) ended by itself"); lock.unlock()
            _ = finish(c)
            return true
        }
        if let free = DiskSpace.freeBytes(config.daemon.spool), free < reserve {
            Log.error("disk: \(free / 1_048_576) MB free, below the \(config.daemon.reserveMegabytes) MB reserve: stopping \(c.id)")
            DispatchQueue.global().async { _ = self.stop(reason: .diskFull) }
            return true
        }
        // Healthy while segments keep closing; a stalled pipeline stops the pings.
        let stalledFor = Double(MonotonicClock.now() - c.progress.lastProgress) / 1e9
        return stalledFor < Double(config.segmentSeconds) * 2 + 10
    }

    /// SIGHUP: a new room configuration, taken only between sessions.
    public func reload(_ newConfig: RoomConfig) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard current == nil else { Log.warning("reload deferred: a session is recording"); return false }
        config = newConfig
        Log.notice("configuration reloaded")
        return true
    }

    /// Queues again every closed session whose upload was never fully queued (see `StartupRecovery`).
    public func queueUnfinishedUploads() {
        recovery.queueUnfinishedUploads(skipping: lock.withLock { current?.folder })
    }

    /// Closes the sessions a crash left open; returns the one to resume (see `StartupRecovery`).
    public func recoverInterrupted() -> (SessionMetadata, Interruption)? {
        recovery.closeInterrupted()
    }
}

/// Counts progress between the pipeline and the sealer: segments, bytes, last activity.
final class ProgressObserver: SessionObserver, @unchecked Sendable {
    private let next: SessionObserver
    private let lock = NSLock()
    private var segmentCount = 0
    private var byteCount: Int64 = 0
    private var last = MonotonicClock.now()
    init(next: SessionObserver) { self.next = next }
    var segments: Int { lock.lock(); defer { lock.unlock() }; return segmentCount }
    var bytes: Int64 { lock.lock(); defer { lock.unlock() }; return byteCount }
    var lastProgress: Int64 { lock.lock(); defer { lock.unlock() }; return last }
    func sessionStarted(_ start: SessionStart) throws { try next.sessionStarted(start); touch() }
    func segmentClosed(_ segment: ClosedSegment) throws {
        try next.segmentClosed(segment)
        lock.lock(); segmentCount += 1; byteCount += segment.byteLength; last = MonotonicClock.now(); lock.unlock()
    }
    func pipelineEvent(_ event: PipelineEvent) throws { try next.pipelineEvent(event) }
    func sessionEnded(_ end: SessionEnd) throws { try next.sessionEnded(end); touch() }
    private func touch() { lock.lock(); last = MonotonicClock.now(); lock.unlock() }
}
