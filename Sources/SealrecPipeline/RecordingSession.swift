import Foundation
import SealrecAV

/// One recording: builds the pipeline for a room (sources -> encoders -> segment muxer), runs it
/// into a session folder, and reports its record to an observer. Everything that can be checked
/// before recording (sources, encoders, the folder) is checked in `init`, before any file exists.
public final class RecordingSession: @unchecked Sendable {
    public struct Options: Sendable {
        /// Run sources as fast as the encoders take buffers, timestamps as if in real time.
        public var fast: Bool
        /// Stop after this much timeline time; nil records until `stop()`.
        public var durationSeconds: Double?
        public init(fast: Bool = false, durationSeconds: Double? = nil) {
            self.fast = fast; self.durationSeconds = durationSeconds
        }
    }

    public struct Result: Sendable {
        public let segments: [ClosedSegment]
        public let reason: EndReason
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
    private let captureQueues: [BoundedQueue<CapturedBuffer>]
    private let muxQueue: BoundedQueue<MuxItem>
    private let muxer: SegmentMuxer
    private let recorder: EventRecorder
    private var muxThread: Thread?
    private let muxDone = DispatchSemaphore(value: 0)
    private var outcome: (EndReason, String?) = (.stopped, nil)

    public init(config: RoomConfig, folder: String, options: Options = Options(), observer: SessionObserver? = nil) throws {
        try config.validate()
        self.config = config
        self.folder = folder
        self.options = options
        let clock = SegmentClock(segmentNanos: Int64(config.segmentSeconds) * 1_000_000_000)
        let beepRate = config.cameras.first?.frameRate ?? 25

        var sources: [CaptureSource] = []
        var encoders: [Encoder] = []
        var encoderNotes: [String: String] = [:]
        for (i, cam) in config.cameras.enumerated() {
            sources.append(try RecordingSession.makeSource(cam, index: i))
            var opts = config.video.options
            if let p = config.video.preset { opts["preset"] = p }
            if let crf = config.video.crf { opts["crf"] = String(crf) }
            let settings = VideoEncoderSettings(codec: config.video.encoder, width: cam.width, height: cam.height,
                                                frameRate: Rational(Int32(cam.frameRate), 1),
                                                gopFrames: cam.frameRate * config.segmentSeconds,
                                                bitRate: config.video.bitRate, options: opts)
            do { encoders.append(try Encoder(video: settings)) } catch {
                throw ConfigError("camera \(cam.name): cannot open video encoder: \(error)")
            }
            encoderNotes[cam.name] = "\(settings.codec) \(cam.width)x\(cam.height) \(cam.frameRate) fps gop \(settings.gopFrames)"
                + opts.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
                + (settings.bitRate.map { " b=\($0)" } ?? "")
        }
        for (i, mic) in config.microphones.enumerated() {
            sources.append(try RecordingSession.makeSource(mic, index: i, beepFrameRate: beepRate))
            let settings = AudioEncoderSettings(codec: config.audio.encoder, sampleRate: config.audio.sampleRate,
                                                channels: mic.channels, bitRate: config.audio.bitRate, options: config.audio.options)
            do { encoders.append(try Encoder(audio: settings)) } catch {
                throw ConfigError("microphone \(mic.name): cannot open audio encoder: \(error)")
            }
            encoderNotes[mic.name] = "\(settings.codec) \(settings.sampleRate) Hz \(settings.channels) ch \(settings.bitRate) bit/s"
        }

        try RecordingSession.createEmptyFolder(folder)

        self.sources = sources
        self.encoders = encoders
        // Small: packets waiting here while the muxer fsyncs are memory; encoders simply wait.
        muxQueue = BoundedQueue(capacity: 48)
        captureQueues = sources.map { _ in BoundedQueue(capacity: config.queueDepth) }
        var stages: [EncodeStage] = []
        for (track, source) in sources.enumerated() {
            if let video = source as? VideoSourceShape {
                stages.append(VideoEncodeStage(track: track, sourceName: source.name, encoder: encoders[track],
                                               frameRate: video.frameRate, input: captureQueues[track], output: muxQueue, clock: clock))
            } else {
                stages.append(AudioEncodeStage(track: track, sourceName: source.name, encoder: encoders[track],
                                               input: captureQueues[track], output: muxQueue, clock: clock,
                                               followCaptureClock: source is ALSAMicrophoneSource))
            }
        }
        self.stages = stages
        recorder = EventRecorder(next: observer)
        let descriptions = sources.map(\.description)
        let timeline = self.timeline
        let segmentSeconds = config.segmentSeconds
        muxer = SegmentMuxer(folder: folder, encoders: encoders, clock: clock, timeline: timeline, observer: recorder) {
            SessionStart(utcAnchor: timeline.utcAnchor ?? Date(), sources: descriptions, encoders: encoderNotes,
                         segmentSeconds: segmentSeconds)
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
        let t = Thread { [self] in
            self.runMuxer()
            self.muxDone.signal()
        }
        t.name = "muxer"
        muxThread = t
        t.start()
        stages.forEach { $0.start() }
        var context = CaptureContext(timeline: timeline, origin: MonotonicClock.now(), paced: !options.fast)
        context.report = { [muxQueue] event in muxQueue.put(.event(event)) }
        for (i, s) in sources.enumerated() { s.start(output: captureQueues[i], context: context) }
    }

    /// Ends the recording at the current instant; `wait()` returns once everything is sealed.
    public func stop() {
        timeline.stopNow()
        sources.forEach { $0.stop() }
    }

    /// Adds an operator's marker to the record.
    public func mark(_ text: String) {
        let t = timeline.zero.map { MonotonicClock.now() - $0 } ?? 0
        muxQueue.put(.event(.marker(text: text, timelineNanos: t)))
    }

    public func wait() -> Result {
        sources.forEach { $0.join() }
        stages.forEach { $0.join() }
        if muxThread != nil { muxDone.wait(); muxDone.signal() }
        return Result(segments: muxer.closed, reason: outcome.0, events: recorder.events, failure: outcome.1)
    }

    private func runMuxer() {
        do {
            try muxer.run(muxQueue)
            let failed = sources.compactMap { s in s.failure.map { "\(s.name): \($0)" } }
            outcome = (.stopped, failed.isEmpty ? nil : failed.joined(separator: "; "))
        } catch {
            // Cannot write: stop capturing and let every stage run dry instead of blocking on us.
            let full = (error as? SystemError)?.isDiskFull ?? false
            outcome = (full ? .diskFull : .error, "\(error)")
            stop()
            muxQueue.close()
            while muxQueue.take() != nil {}
        }
        do { try muxer.finish(reason: outcome.0, message: outcome.1) } catch {
            if outcome.1 == nil { outcome = (.error, "\(error)") }
        }
    }

    static func makeSource(_ cam: RoomConfig.Camera, index: Int) throws -> CaptureSource {
        switch cam.source {
        case .synthetic:
            return SyntheticVideoSource(name: cam.name, index: index, width: cam.width, height: cam.height, frameRate: cam.frameRate)
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

/// A video source's frame rate, which its encoder stage needs.
protocol VideoSourceShape { var frameRate: Int { get } }
extension SyntheticVideoSource: VideoSourceShape {}
extension RawVideoSource: VideoSourceShape {}
extension V4L2CameraSource: VideoSourceShape {}

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
