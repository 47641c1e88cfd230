import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecPipeline
import SealrecRoom
import SealrecSeal
import SealrecStore

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
        let follower: SessionFollower?
    }

    private let lock = NSLock()
    private(set) var config: RoomConfig
    private let key: RoomKey
    private var state: State = .idle
    private var current: Current?
    private var lastSession: (id: String, reason: String, verification: String, folder: String)?
    private var failure: String?
    private var markRate = TokenBucket(burst: RoomController.markBurst, perSecond: RoomController.marksPerSecond)
    public let sessionsFolder: String
    private var currentMarker: String { config.daemon.spool + "/current.json" }
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

    /// Queues what a session folder holds that the store may not have yet (idempotent).
    private func follow(_ follower: SessionFollower?) {
        guard let follower else { return }
        do { _ = try follower.poll() } catch { Log.error("upload: cannot queue \(follower.folder): \(SafeText.escape("\(error)"))") }
    }

    public var currentState: State { lock.lock(); defer { lock.unlock() }; return state }

    private func transition(_ to: State, _ note: String) {
        Log.notice("state \(state.rawValue) -> \(to.rawValue): \(note)")
        state = to
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

    /// The session a crash interrupted, as the session that resumes it records it.
    public struct Interruption: Sendable {
        public let folderName: String
        /// UTC instant of its last good media; nil when nothing of it could be recovered.
        public let lastGoodUTC: Date?
        /// Why it could not be recovered (nil when it was).
        public let problem: String?

        var linkText: String {
            var text = "continues interrupted session \(folderName); "
            if let problem { text += "it could not be recovered: \(Self.cut(problem, toEscapedBytes: 1024))" } else {
                text += "its last good media ended at \(lastGoodUTC.map(RFC3339.format) ?? "unknown")"
            }
            let gap = lastGoodUTC.map { String(format: "%.3f", Date().timeIntervalSince($0)) } ?? "unknown"
            return text + "; gap about \(gap) s"
        }

        /// The longest start of `text` that takes at most `limit` bytes in the manifest: the link
        /// is a marker and must stay within a marker's limit, whatever the error said.
        static func cut(_ text: String, toEscapedBytes limit: Int) -> String {
            guard ManifestFormat.escapedByteCount(text) > limit else { return text }
            var kept = String.UnicodeScalarView()
            var bytes = 3  // "..."
            for scalar in text.unicodeScalars {
                bytes += ManifestFormat.escapedByteCount(String(scalar))
                guard bytes <= limit else { break }
                kept.append(scalar)
            }
            return String(kept) + "..."
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
            try writeCurrentMarker(metadata)
            let sealer = Sealer(folder: folder, key: key, metadata: metadata, config: config)
            let progress = ProgressObserver(next: sealer)
            let follower = uploads.map { SessionFollower(folder: folder, queue: $0) }
            // Each sealed entry is queued for upload at once: uploading runs during the session.
            progress.onRecord = { [weak self] in self?.follow(follower) }
            let session = try RecordingSession(config: config, folder: folder, options: .init(caseNumber: caseNumber), observer: progress)
            session.start()
            // The record of the new session says what it continues and how long the gap was.
            if let previous { session.mark(previous.linkText) }
            markRate = TokenBucket(burst: Self.markBurst, perSecond: Self.marksPerSecond)
            current = Current(id: metadata.sessionID, folder: folder, metadata: metadata, session: session,
                              requestedAt: requestedAt, progress: progress, follower: follower)
            failure = nil
            transition(.recording, metadata.sessionID)
            lock.unlock()
            var r = status()
            r.session = metadata.sessionID
            return r
        } catch {
            try? FileManager.default.removeItem(atPath: currentMarker)
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
            do { try writeCurrentMarker(c.metadata, stopping: true) } catch { Log.warning("cannot mark \(c.id) as stopping: \(error)") }
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
        while currentState == .stopping { Thread.sleep(forTimeInterval: 0.02) }
        return r.session != nil ? r : nil
    }

    /// Seals, verifies and records the outcome of a session that has stopped or ended by itself.
    private func finish(_ c: Current) -> ControlReply {
        let result = c.session.wait()
        follow(c.follower)
        let report = Verifier.verify(folder: URL(fileURLWithPath: c.folder), trusted: [key.publicKey])
        lock.lock()
        try? FileManager.default.removeItem(atPath: currentMarker)
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
        lock.lock(); defer { lock.unlock() }
        var r = ControlReply(ok: true)
        r.state = state.rawValue
        var warnings: [String] = []
        let free = DiskSpace.freeBytes(config.daemon.spool)
        r.freeDiskBytes = free
        let reserve = Int64(config.daemon.reserveMegabytes) * 1_048_576
        if let c = current {
            r.session = c.id
            r.sessionFolder = c.folder
            if let zero = c.session.timeline.zero {
                r.elapsedSeconds = Double(MonotonicClock.now() - zero) / 1e9
                r.startLatencyMs = Double(zero - c.requestedAt) / 1e6
            }
            r.segmentsSealed = c.progress.segments
            r.droppedBuffers = c.session.droppedBuffers
            r.audioLevels = c.session.audioLevels
            if r.droppedBuffers! > 0 { warnings.append("\(r.droppedBuffers!) buffer(s) dropped in this session") }
        }
        if let free {
            let hourly = bytesPerHour()
            r.hoursOfRecordingLeft = max(0, Double(free - reserve)) / hourly
            if r.hoursOfRecordingLeft! < 2 { warnings.append(String(format: "disk: about %.1f h of recording left", r.hoursOfRecordingLeft!)) }
        }
        if let u = uploads?.status() {
            r.uploadBacklogItems = u.backlogItems
            r.uploadBacklogBytes = u.backlogBytes
            r.uploadBytesPerSecond = u.bytesPerSecond
            r.uploadSecondsToClear = u.estimatedSecondsToClear
            if let kind = u.lastErrorKind, u.backlogItems > 0 {
                r.uploadError = "\(kind): \(u.lastError ?? "")"
                warnings.append("upload waiting: \(kind): \(u.lastError ?? "")")
            }
        }
        if !SystemClockStatus.isSynchronized { warnings.append("system clock is not NTP-synchronised") }
        if let failure { warnings.append(failure) }
        r.warnings = warnings
        if let l = lastSession { r.lastSession = l.id; r.lastEndReason = l.reason; r.verification = l.verification }
        return r
    }

    /// Recording rate: what the running session has written so far, else an estimate from the room.
    private func bytesPerHour() -> Double {
        if let c = current, let zero = c.session.timeline.zero, c.progress.bytes > 0 {
            let seconds = Double(MonotonicClock.now() - zero) / 1e9
            if seconds > 5 { return Double(c.progress.bytes) / seconds * 3600 }
        }
        // About 2 Mbit/s per camera at the default quality, plus sound.
        return Double(config.cameras.count) * 0.9e9 + Double(config.microphones.count) * 0.06e9 + 1
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

    /// Queues again every closed session whose upload was never fully queued: the daemon died in the
    /// moment between sealing a session's last entry and queueing it, or the queueing failed (a
    /// full disk). Unclosed sessions are `recoverInterrupted`'s; a session being recorded is skipped.
    public func queueUnfinishedUploads() {
        guard let uploads else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessionsFolder)) ?? []
        let recording = lock.withLock { current?.folder }
        for name in names.sorted() {
            let folder = sessionsFolder + "/" + name
            // The ledger (a stat) first: reading a manifest is for the few sessions it does not list.
            guard folder != recording, !uploads.isSessionQueued(folder: folder),
                  FileManager.default.fileExists(atPath: folder + "/" + SessionFiles.manifest), !SessionRecovery.isUnclosed(folder) else { continue }
            Log.notice("upload: session \(name) was sealed but not fully queued: queueing it again")
            follow(SessionFollower(folder: folder, queue: uploads))
        }
    }

    /// Finds sessions a crash left open and closes them as interrupted. Returns the one that was
    /// recording when the daemon died (its metadata and what became of it), so recording resumes at
    /// once: also when that session cannot be recovered (it died before its first entry was durable,
    /// or its record is damaged), since the room was recording and still is.
    public func recoverInterrupted() -> (SessionMetadata, Interruption)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessionsFolder)) ?? []
        var recovered: [String: SessionRecovery.Outcome] = [:]
        var failed: [String: String] = [:]
        for name in names.sorted() where SessionRecovery.isUnclosed(sessionsFolder + "/" + name) {
            do {
                let outcome = try SessionRecovery.recover(folder: sessionsFolder + "/" + name, key: key)
                follow(uploads.map { SessionFollower(folder: outcome.folder, queue: $0) })
                Log.warning("recovered interrupted session \(name): salvaged \(outcome.salvaged), last good media at \(Double(outcome.lastGoodMicros) / 1e6) s")
                recovered[name] = outcome
            } catch {
                Log.error("could not recover session \(name): \(error)")
                failed[name] = "\(error)"
            }
        }
        guard let data = FileManager.default.contents(atPath: currentMarker),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let id = o["session"] as? String else { return nil }
        try? FileManager.default.removeItem(atPath: currentMarker)
        // It was being stopped when the daemon died: closed as interrupted above, not resumed.
        if o["stopping"] as? Bool == true {
            Log.notice("session \(id) was being stopped when the daemon died: not resuming")
            return nil
        }
        let metadata = SessionMetadata(sessionID: id, caseNumber: o["case"] as? String, participants: o["participants"] as? [String] ?? [])
        if let outcome = recovered[id] { return (metadata, Interruption(folderName: id, lastGoodUTC: outcome.lastGoodUTC, problem: nil)) }
        if let problem = failed[id] { return (metadata, Interruption(folderName: id, lastGoodUTC: nil, problem: problem)) }
        // No manifest at all: the daemon died before the session's first entry. A closed one was
        // stopped (or ended) before the daemon died: nothing to resume.
        guard !FileManager.default.fileExists(atPath: sessionsFolder + "/" + id + "/" + SessionFiles.manifest) else { return nil }
        return (metadata, Interruption(folderName: id, lastGoodUTC: nil, problem: "it had no record yet (no \(SessionFiles.manifest))"))
    }

    /// Marks the session being recorded, so a restart knows the room was recording when it died.
    private func writeCurrentMarker(_ m: SessionMetadata, stopping: Bool = false) throws {
        var o: [String: Any] = ["session": m.sessionID, "participants": m.participants]
        if let c = m.caseNumber { o["case"] = c }
        if stopping { o["stopping"] = true }
        try Posix.writeFileAtomically(try JSONSerialization.data(withJSONObject: o), to: currentMarker)
    }
}

/// Counts progress between the pipeline and the sealer: segments, bytes, last activity.
final class ProgressObserver: SessionObserver, @unchecked Sendable {
    private let next: SessionObserver
    private let lock = NSLock()
    private var segmentCount = 0
    private var byteCount: Int64 = 0
    private var last = MonotonicClock.now()
    /// Called after every entry the sealer wrote (session, segment, event, end).
    var onRecord: (@Sendable () -> Void)?
    init(next: SessionObserver) { self.next = next }
    var segments: Int { lock.lock(); defer { lock.unlock() }; return segmentCount }
    var bytes: Int64 { lock.lock(); defer { lock.unlock() }; return byteCount }
    var lastProgress: Int64 { lock.lock(); defer { lock.unlock() }; return last }
    func sessionStarted(_ start: SessionStart) throws { try next.sessionStarted(start); touch(); onRecord?() }
    func segmentClosed(_ segment: ClosedSegment) throws {
        try next.segmentClosed(segment)
        lock.lock(); segmentCount += 1; byteCount += segment.byteLength; last = MonotonicClock.now(); lock.unlock()
        onRecord?()
    }
    func pipelineEvent(_ event: PipelineEvent) throws { try next.pipelineEvent(event); onRecord?() }
    func sessionEnded(_ end: SessionEnd) throws { try next.sessionEnded(end); touch(); onRecord?() }
    private func touch() { lock.lock(); last = MonotonicClock.now(); lock.unlock() }
}

public enum DiskSpace {
    public static func freeBytes(_ path: String) -> Int64? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }
}
