import Foundation
import SealrecAV
import SealrecSystem

/// One recording: builds the pipeline for a room (sources -> encoders -> segment muxer), runs it
/// into a session folder, and reports its record to an observer. Everything that can be checked
/// before recording (sources, encoders, the folder) is checked in `init`, before any file exists.
public final class RecordingSession: @unchecked Sendable {
    public struct Options: Sendable {
        /// Run sources as fast as the encoders take buffers, timestamps as if in real time.
        public var fast: Bool
        /// Stop after this much timeline time; nil records until `stop()`.
        public var durationSeconds: Double?
        /// Shown in the composite picture's text line.
        public var caseNumber: String?
        public init(fast: Bool = false, durationSeconds: Double? = nil, caseNumber: String? = nil) {
            self.fast = fast; self.durationSeconds = durationSeconds; self.caseNumber = caseNumber
        }
    }

    public struct Result: Sendable {
        public let segments: [ClosedSegment]
        public let reason: StopReason
        public let events: [PipelineEvent]
        public let failure: String?
        public var durationSeconds: Double { segments.last.map { Double($0.startNanos + $0.durationNanos) / 1e9 } ?? 0 }
    }

    public let folder: String
    public let config: RoomConfig
    public let timeline = Timeline()
    private let options: Options
    private let sources: [CaptureSource]
    private let encoders: [Encoder]
    private let stages: [EncodeStage]
    /// Each source's consumers: its own encoder and/or the compositor.
    private let sourceOutputs: [[BoundedQueue<CapturedBuffer>]]
    private let compositor: Compositor?
    private let muxQueue: BoundedQueue<MuxItem>
    private let muxer: SegmentMuxer
    private let recorder: EventRecorder
    private var muxWorker: Worker?
    private var outcome: (StopReason, String?) = (.stopped, nil)
    private let stateLock = NSLock()
    private var requestedReason: StopReason = .stopped
    private var ended = false

    public init(config: RoomConfig, folder: String, options: Options = Options(), observer: SessionObserver? = nil) throws {
        try config.validate()
        self.config = config
        self.folder = folder
        self.options = options
        let clock = SegmentClock(segmentNanos: Int64(config.segmentSeconds) * 1_000_000_000)
        let beepRate = config.cameras.first?.frameRate ?? 25
        let composite = config.composite
        let cameraTracks = composite?.withCameraTracks ?? true

        // Tracks in file order: the composite first (what players show), then cameras, then microphones.
        struct Track {
            let name: String; let encoder: Encoder; let frameRate: Int?; let input: BoundedQueue<CapturedBuffer>
            /// A device microphone: its sample clock is steered to its capture timestamps.
            var followsCaptureClock = false
        }
        var tracks: [Track] = []
        var sources: [CaptureSource] = []
        var outputs: [[BoundedQueue<CapturedBuffer>]] = []
        var descriptions: [SourceDescription] = []
        var encoderNotes: [String: String] = [:]

        func videoEncoder(name: String, width: Int, height: Int, frameRate: Int) throws -> Encoder {
            var opts = config.video.options
            if let p = config.video.preset { opts["preset"] = p }
            if let crf = config.video.crf { opts["crf"] = String(crf) }
            let settings = VideoEncoderSettings(codec: config.video.encoder, width: width, height: height,
                                                frameRate: Rational(Int32(frameRate), 1), gopFrames: frameRate * config.segmentSeconds,
                                                bitRate: config.video.bitRate, options: opts)
            do {
                let e = try Encoder(video: settings)
                encoderNotes[name] = "\(settings.codec) \(width)x\(height) \(frameRate) fps gop \(settings.gopFrames)"
                    + opts.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined() + (settings.bitRate.map { " b=\($0)" } ?? "")
                return e
            } catch {
                throw ConfigError("\(name): cannot open video encoder: \(error)")
            }
        }

        var compositorInputs: [(String, BoundedQueue<CapturedBuffer>)] = []
        let compositeOutput = BoundedQueue<CapturedBuffer>(capacity: config.queueDepth)
        if let composite {
            tracks.append(Track(name: "composite", encoder: try videoEncoder(name: "composite", width: composite.width,
                                                                              height: composite.height, frameRate: composite.frameRate),
                                frameRate: composite.frameRate, input: compositeOutput))
            descriptions.append(SourceDescription(name: "composite", kind: .video, source: "compositor",
                                                  format: "\(composite.width)x\(composite.height) @ \(composite.frameRate) fps, main \(composite.main)"
                                                      + (composite.inset.map { ", inset \($0)" } ?? "")))
        }
        for (i, cam) in config.cameras.enumerated() {
            let source = try RecordingSession.makeSource(cam, index: i)
            var queues: [BoundedQueue<CapturedBuffer>] = []
            if cameraTracks {
                let q = BoundedQueue<CapturedBuffer>(capacity: config.queueDepth)
                tracks.append(Track(name: cam.name, encoder: try videoEncoder(name: "camera \(cam.name)", width: cam.width,
                                                                               height: cam.height, frameRate: cam.frameRate),
                                    frameRate: cam.frameRate, input: q))
                queues.append(q)
            }
            if let composite, cam.name == composite.main || cam.name == composite.inset {
                let q = BoundedQueue<CapturedBuffer>(capacity: config.queueDepth)
                compositorInputs.append((cam.name, q))
                queues.append(q)
            }
            guard !queues.isEmpty else { continue }  // a camera neither recorded nor composed is not opened
            sources.append(source)
            outputs.append(queues)
            descriptions.append(source.description)
        }
        for (i, mic) in config.microphones.enumerated() {
            let source = try RecordingSession.makeSource(mic, index: i, beepFrameRate: beepRate)
            let settings = AudioEncoderSettings(codec: config.audio.encoder, sampleRate: config.audio.sampleRate,
                                                channels: mic.channels, bitRate: config.audio.bitRate, options: config.audio.options)
            let encoder: Encoder
            do { encoder = try Encoder(audio: settings) } catch {
                throw ConfigError("microphone \(mic.name): cannot open audio encoder: \(error)")
            }
            encoderNotes[mic.name] = "\(settings.codec) \(settings.sampleRate) Hz \(settings.channels) ch \(settings.bitRate) bit/s"
            let q = BoundedQueue<CapturedBuffer>(capacity: config.queueDepth)
            tracks.append(Track(name: mic.name, encoder: encoder, frameRate: nil, input: q, followsCaptureClock: source is ALSAMicrophoneSource))
            sources.append(source)
            outputs.append([q])
            descriptions.append(source.description)
        }
        let sessionTimeline = self.timeline
        compositor = try composite.map {
            try Compositor(layout: $0, cameraQueues: compositorInputs, output: compositeOutput, timeline: sessionTimeline,
                           paced: !options.fast, roomName: config.room.name, caseNumber: options.caseNumber)
        }

        try RecordingSession.createEmptyFolder(folder)

        self.sources = sources
        self.encoders = tracks.map(\.encoder)
        sourceOutputs = outputs
        // Small: packets waiting while the muxer fsyncs are memory. Markers get a lane of their own
        // beside it, so a flood of them never takes a slot a packet needs nor waits for one.
        let mux = BoundedQueue<MuxItem>(capacity: 48, besideCapacity: RecordingSession.markerLane)
        muxQueue = mux
        self.stages = tracks.enumerated().map { index, t in
            if let fps = t.frameRate {
                return VideoEncodeStage(track: index, sourceName: t.name, encoder: t.encoder, frameRate: fps, input: t.input, output: mux, clock: clock)
            }
            return AudioEncodeStage(track: index, sourceName: t.name, encoder: t.encoder, input: t.input, output: mux, clock: clock,
                                    followCaptureClock: t.followsCaptureClock)
        }
        recorder = EventRecorder(next: observer)
        let timeline = sessionTimeline
        let segmentSeconds = config.segmentSeconds
        muxer = SegmentMuxer(folder: folder, encoders: encoders, clock: clock, timeline: timeline, observer: recorder) {
            SessionStart(utcAnchor: timeline.utcAnchor ?? Date(), sources: descriptions, encoders: encoderNotes,
                         segmentSeconds: segmentSeconds)
        }
        compositor?.onFailure = { error, t in mux.put(.event(.sourceFailed(source: "composite", timelineNanos: t, message: "\(error)"))) }
        for s in sources {
            let name = s.name
            s.onFailure = { error, t in mux.put(.event(.sourceFailed(source: name, timelineNanos: t, message: "\(error)"))) }
        }
    }

    /// Sources in the order of their tracks.
    public var sourceDescriptions: [SourceDescription] { sources.map(\.description) }

    /// Each device source's state by name ("capturing", "missing: ..."), for the daemon's status.
    public var deviceStatus: [String: String] {
        Dictionary(uniqueKeysWithValues: sources.compactMap { s in (s as? DeviceStatusReporting).map { (s.name, $0.deviceStatus) } })
    }

    public func start() {
        if let d = options.durationSeconds { timeline.stopTime = Int64(d * 1e9) }
        muxWorker = Worker(name: "muxer") { [self] in runMuxer() }
        stages.forEach { $0.start() }
        compositor?.start()
        var context = CaptureContext(timeline: timeline, origin: MonotonicClock.now(), paced: !options.fast)
        context.report = { [muxQueue] event in muxQueue.put(.event(event)) }
        for (i, s) in sources.enumerated() { s.start(outputs: sourceOutputs[i], context: context) }
    }

    /// Ends the recording at the current instant; `wait()` returns once everything is sealed.
    /// `reason` is what the record will say (stopped by the operator, disk nearly full...).
    public func stop(reason: StopReason = .stopped) {
        stateLock.lock(); requestedReason = reason; stateLock.unlock()
        // A stop pressed right after start still gets a sealed session: wait (briefly) for the first capture.
        let deadline = MonotonicClock.now() + 2_000_000_000
        while timeline.zero == nil && MonotonicClock.now() < deadline && !hasEnded { usleep(5_000) }
        timeline.stopNow()
        sources.forEach { $0.stop() }
    }

    /// True once the session has ended and its record is closed (by `stop` or by itself).
    public var hasEnded: Bool { stateLock.lock(); defer { stateLock.unlock() }; return ended }

    /// Peak level of each microphone over about the last second, dBFS (nil before any sound).
    public var audioLevels: [String: Double] {
        var out: [String: Double] = [:]
        for s in stages { if let a = s as? AudioEncodeStage, let level = a.level.peakDBFS { out[a.sourceName] = level } }
        return out
    }

    /// CPU time of the compositor (scaling, placing, text), for the benchmark.
    public var compositorCPUSeconds: Double? { compositor.map { Double($0.cpuNanos) / 1e9 } }

    /// Buffers dropped so far, all sources.
    public var droppedBuffers: Int { stages.reduce(0) { $0 + $1.dropCount } }

    /// Markers that may wait to be sealed at once.
    public static let markerLane = 16

    /// Adds an operator's marker to the record without ever waiting: false (refused) while
    /// `markerLane` markers are already waiting to be sealed.
    @discardableResult
    public func mark(_ text: String) -> Bool {
        let t = timeline.zero.map { MonotonicClock.now() - $0 } ?? 0
        return muxQueue.offerBeside(.event(.marker(text: text, timelineNanos: t)))
    }

    public func wait() -> Result {
        sources.forEach { $0.join() }
        compositor?.join()
        stages.forEach { $0.join() }
        muxWorker?.join()
        return Result(segments: muxer.closed, reason: outcome.0, events: recorder.events, failure: outcome.1)
    }

    private func runMuxer() {
        var writeFailed = false
        do {
            try muxer.run(muxQueue)
            let failed = sources.compactMap { s in s.failure.map { "\(s.name): \($0)" } }
            stateLock.lock(); let reason = requestedReason; stateLock.unlock()
            outcome = (reason, failed.isEmpty ? nil : failed.joined(separator: "; "))
        } catch {
            // Cannot write: stop capturing and let every stage run dry instead of blocking on us.
            let full = (error as? SystemError)?.isDiskFull ?? false
            outcome = (full ? .diskFull : .error, "\(error)")
            writeFailed = true
            stop()
            muxQueue.close()
            while muxQueue.take() != nil {}
        }
        do { try muxer.finish(reason: outcome.0, message: outcome.1, afterWriteFailure: writeFailed) } catch {
            if outcome.1 == nil { outcome = (.error, "\(error)") }
        }
        stateLock.lock(); ended = true; stateLock.unlock()
    }

    static func makeSource(_ cam: RoomConfig.Camera, index: Int) throws -> CaptureSource {
        switch cam.source {
        case .synthetic:
            let source = try SyntheticVideoSource(name: cam.name, index: index, width: cam.width, height: cam.height, frameRate: cam.frameRate)
            source.failAfterNanos = cam.failAfterSeconds.map { Int64($0 * 1e9) }
            return source
        case .raw:
            return try RawVideoSource(name: cam.name, path: cam.path!, pixelFormat: cam.pixelFormat!,
                                      width: cam.width, height: cam.height, frameRate: cam.frameRate)
        case .v4l2:
            return try V4L2CameraSource(name: cam.name, path: cam.path!, format: cam.pixelFormat ?? "yuyv422",
                                        width: cam.width, height: cam.height, frameRate: cam.frameRate, controls: cam.controls ?? [:])
        case .alsa:
            throw ConfigError("camera \(cam.name): alsa is a microphone source")
        }
    }

    static func makeSource(_ mic: RoomConfig.Microphone, index: Int, beepFrameRate: Int) throws -> CaptureSource {
        switch mic.source {
        case .synthetic:
            return SyntheticAudioSource(name: mic.name, sampleRate: mic.sampleRate, channels: mic.channels,
                                        toneHz: mic.toneHz ?? 440 + 220 * Double(index), beepFrameRate: beepFrameRate)
        case .raw:
            return try RawAudioSource(name: mic.name, path: mic.path!, sampleFormat: mic.sampleFormat!,
                                      sampleRate: mic.sampleRate, channels: mic.channels)
        case .alsa:
            return try ALSAMicrophoneSource(name: mic.name, pcm: mic.path!, sampleRate: mic.sampleRate, channels: mic.channels)
        case .v4l2:
            throw ConfigError("microphone \(mic.name): v4l2 is a camera source")
        }
    }

    /// The session folder must be new (or empty): a recording never mixes with older files.
    static func createEmptyFolder(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ConfigError("output \(path) exists and is not a folder") }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty else { throw ConfigError("output folder \(path) is not empty: a session needs a new folder") }
        } else if mkdir(path, 0o750) != 0 {
            throw ConfigError("cannot create output folder \(path): \(String(cString: strerror(errno)))")
        }
        guard access(path, W_OK) == 0 else { throw ConfigError("output folder \(path) is not writable") }
        let probe = path + "/.write-test"
        let fd = Glibc.open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ConfigError("output folder \(path) is not writable: \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        unlink(probe)
    }
}

/// Keeps the events of a session (for its result) and passes everything on.
final class EventRecorder: SessionObserver, @unchecked Sendable {
    private let next: SessionObserver?
    private(set) var events: [PipelineEvent] = []
    init(next: SessionObserver?) { self.next = next }
    func sessionStarted(_ start: SessionStart) throws { try next?.sessionStarted(start) }
    func segmentClosed(_ segment: ClosedSegment) throws { try next?.segmentClosed(segment) }
    func pipelineEvent(_ event: PipelineEvent) throws { events.append(event); try next?.pipelineEvent(event) }
    func sessionEnded(_ end: SessionEnd) throws { try next?.sessionEnded(end) }
}
