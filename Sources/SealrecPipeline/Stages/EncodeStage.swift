import Foundation
import SealrecAV

/// An encoder element: takes captured buffers from its sink pad (the source's queue), encodes on its
/// own thread and puts packets on the muxer's queue. Subclasses turn buffers into encoder frames.
class EncodeStage: @unchecked Sendable {
    let track: Int
    let sourceName: String
    let encoder: Encoder
    let input: BoundedQueue<CapturedBuffer>
    let output: BoundedQueue<MuxItem>
    let clock: SegmentClock
    private var worker: Worker?
    private var reportedDrops = 0
    /// Drops decided here (not by the queue), e.g. two frames on one frame slot.
    var localDrops = 0
    private(set) var failure: Error?
    /// Buffers the capture queue dropped right before the one being consumed.
    private(set) var droppedBeforeCurrent = 0
    private let dropLock = NSLock()
    private var totalDrops = 0
    /// Buffers this track lost so far (queue overflow and frame-slot collisions).
    var dropCount: Int { dropLock.lock(); defer { dropLock.unlock() }; return totalDrops }

    init(track: Int, sourceName: String, encoder: Encoder, input: BoundedQueue<CapturedBuffer>,
         output: BoundedQueue<MuxItem>, clock: SegmentClock) {
        self.track = track; self.sourceName = sourceName; self.encoder = encoder
        self.input = input; self.output = output; self.clock = clock
    }

    func start() {
        worker = Worker(name: "encode \(sourceName)") { [self] in run() }
    }

    func join() { worker?.join() }

    /// Encodes one buffer (sending zero or more frames to the encoder).
    func consume(_ buffer: CapturedBuffer) throws { fatalError("subclass") }
    /// Sends whatever is buffered before the encoder is drained.
    func finishInput() throws {}
    /// Timeline time where this track's media ends.
    var endNanos: Int64 { 0 }
    /// Whether a packet belongs in the recording (audio priming before zero does not).
    func keep(_ packet: Packet) -> Bool { true }

    private func run() {
        var lastTime: Int64 = 0
        do {
            while let (buffer, droppedBefore) = input.takeCounted() {
                lastTime = buffer.timelineTime
                droppedBeforeCurrent = droppedBefore
                try consume(buffer)
                try drain()
                reportDrops(at: lastTime)
            }
            try finishInput()
            try encoder.send(nil)
            try drain()
        } catch {
            failure = error
            output.put(.event(.sourceFailed(source: sourceName, timelineNanos: lastTime, message: "encoder \(encoder.codecName): \(error)")))
            // Keep the capture side flowing into the void so the source thread can finish.
            while input.take() != nil {}
        }
        reportDrops(at: lastTime)
        output.put(.trackEnded(track: track, endNanos: endNanos))
    }

    func drain() throws {
        while let packet = try encoder.receive() {
            if keep(packet) { output.put(.packet(track: track, packet, timeBase: encoder.timeBase)) }
        }
    }

    private func reportDrops(at t: Int64) {
        let total = input.dropped + localDrops
        dropLock.lock(); totalDrops = total; dropLock.unlock()
        if total > reportedDrops {
            output.put(.event(.dropped(source: sourceName, count: total - reportedDrops, timelineNanos: t,
                                       reason: "capture queue full or frame slot taken")))
            reportedDrops = total
        }
    }
}

/// Video: maps capture times to constant-rate frame slots, converts the pixel format, forces a
/// keyframe at the first frame of every segment.
final class VideoEncodeStage: EncodeStage, @unchecked Sendable {
    private let frameRate: Int64
    private var scaler: Scaler?
    private var lastSlot: Int64 = -1
    private var lastSegment = -1

    init(track: Int, sourceName: String, encoder: Encoder, frameRate: Int, input: BoundedQueue<CapturedBuffer>,
         output: BoundedQueue<MuxItem>, clock: SegmentClock) {
        self.frameRate = Int64(frameRate)
        super.init(track: track, sourceName: sourceName, encoder: encoder, input: input, output: output, clock: clock)
    }

    override func consume(_ buffer: CapturedBuffer) throws {
        // Nearest slot on the constant frame grid; a camera's jitter does not move frames in time.
        let slot = (buffer.timelineTime * frameRate + 500_000_000) / 1_000_000_000
        guard slot > lastSlot else { localDrops += 1; return }
        lastSlot = slot
        var frame = buffer.frame
        if frame.pixelFormat != encoder.pixelFormat || frame.width != encoderWidth || frame.height != encoderHeight {
            if scaler == nil {
                scaler = try Scaler(inputWidth: frame.width, inputHeight: frame.height, inputFormat: frame.pixelFormat,
                                    outputWidth: encoderWidth, outputHeight: encoderHeight, outputFormat: encoder.pixelFormat)
            }
            frame = try scaler!.scale(frame)
        } else {
            // The camera's frame may also be on its way to the compositor: stamp a reference, not it.
            frame = try frame.reference()
        }
        frame.pts = slot
        let segment = clock.index(of: slot, timeBase: encoder.timeBase)
        frame.forceKeyframe = segment != lastSegment
        lastSegment = segment
        try encoder.send(frame)
    }

    private var encoderWidth: Int { encoder.width }
    private var encoderHeight: Int { encoder.height }

    override func drain() throws {
        while let packet = try encoder.receive() {
            packet.duration = 1  // libx264 leaves it 0; the MP4 muxer needs it for the last sample
            output.put(.packet(track: track, packet, timeBase: encoder.timeBase))
        }
    }

    override var endNanos: Int64 { lastSlot < 0 ? 0 : (lastSlot + 1) * 1_000_000_000 / frameRate }
}

/// Audio: a continuous sample clock from the first buffer's timeline time, converted to the
/// encoder's format and cut into the encoder's frame size.
final class AudioEncodeStage: EncodeStage, @unchecked Sendable {
    private var resampler: Resampler?
    private var fifo: SampleFifo?
    private var nextSample: Int64?
    private let rate: Int64
    /// Device microphones only: their sample clock is steered to their capture timestamps.
    private var clockSync: AudioClockSync?
    let level = LevelMeter()

    init(track: Int, sourceName: String, encoder: Encoder, input: BoundedQueue<CapturedBuffer>,
         output: BoundedQueue<MuxItem>, clock: SegmentClock, followCaptureClock: Bool = false) {
        rate = Int64(encoder.timeBase.den)
        clockSync = followCaptureClock ? AudioClockSync(rate: Int(encoder.timeBase.den)) : nil
        super.init(track: track, sourceName: sourceName, encoder: encoder, input: input, output: output, clock: clock)
    }

    override func consume(_ buffer: CapturedBuffer) throws {
        let f = buffer.frame
        if resampler == nil {
            resampler = try Resampler(inputFormat: f.sampleFormat, inputRate: f.sampleRate, inputChannels: f.channels,
                                      outputFormat: encoder.sampleFormat, outputRate: Int(rate), outputChannels: encoder.channels)
            fifo = SampleFifo(format: encoder.sampleFormat, channels: encoder.channels)
            nextSample = (buffer.timelineTime * rate + 500_000_000) / 1_000_000_000
            // Resampling mode from the start, so later compensation does not re-initialise it mid-stream.
            if clockSync != nil { try resampler!.compensate(delta: 0, distance: 0) }
        }
        try followCaptureClock(buffer)
        let converted = try resampler!.convert(f)
        level.measure(converted, windowSamples: Int(rate))
        fifo!.append(converted)
        let size = encoder.frameSize > 0 ? encoder.frameSize : 1024
        while fifo!.count >= size { try encodeFrame(samples: size) }
    }

    override func finishInput() throws {
        reportClock()
        guard let fifo, fifo.count > 0 else { return }
        try encodeFrame(samples: fifo.count)
    }

    /// Puts the clock correction in the record: it changed the sound's timing, so it is evidence.
    private func reportClock() {
        guard let sync = clockSync, let end = smoothedEnd(sync) else { return }
        let nanos = { (samples: Double) in Int64(samples * 1e9 / Double(self.rate)) }
        output.put(.event(.clockCorrected(source: sourceName, timelineNanos: endNanos, ppm: sync.ppm,
                                          correctedNanos: nanos(Double(sync.correctedSamples)),
                                          startOffsetNanos: nanos(sync.startError ?? 0), endOffsetNanos: nanos(end))))
    }

    private func smoothedEnd(_ sync: AudioClockSync) -> Double? { sync.startError == nil ? nil : sync.smoothedError }

    private func followCaptureClock(_ buffer: CapturedBuffer) throws {
        guard var sync = clockSync else { return }
        defer { clockSync = sync }
        let capturedAt = (buffer.timelineTime * rate + 500_000_000) / 1_000_000_000
        // A buffer dropped at the full capture queue just before this one is lost sound too, not
        // drift to steer away: the queue says exactly which buffer follows the hole.
        let placedEnd = nextSample! + Int64(fifo!.count)
        switch sync.observe(placedAt: placedEnd, capturedAt: capturedAt,
                            discontinuity: buffer.discontinuity || droppedBeforeCurrent > 0) {
        case .none: break
        case let .compensate(delta, distance): try resampler!.compensate(delta: delta, distance: distance)
        case let .jump(target):
            // Encoders take whole frames. A hole no longer than what the unfinished frame lacks is
            // filled with that much silence; a longer one finishes the frame with silence and skips
            // the rest in the timestamps. Either way the next sample lands exactly at its capture time.
            let size = encoder.frameSize > 0 ? encoder.frameSize : 1024
            let hole = target - placedEnd
            let lacking = fifo!.count > 0 ? Int64(size - fifo!.count) : 0
            if hole <= lacking {
                fifo!.appendSilence(Int(max(0, hole)))
            } else {
                fifo!.appendSilence(Int(lacking))
                while fifo!.count >= size { try encodeFrame(samples: size) }
                nextSample = max(nextSample!, target)
            }
        }
    }

    private func encodeFrame(samples: Int) throws {
        let frame = try fifo!.pop(samples, sampleRate: Int(rate))
        frame.pts = nextSample!
        nextSample! += Int64(samples)
        try encoder.send(frame)
    }

    /// The encoder's priming packet lies before timeline zero; fragmented MP4 cannot start a track
    /// before zero, and moving it would shift all audio by the priming delay, so it is left out.
    override func keep(_ packet: Packet) -> Bool { packet.pts >= 0 }

    override var endNanos: Int64 { (nextSample ?? 0) * 1_000_000_000 / rate }
}

/// Accumulates converted samples until the encoder's frame size is reached.
struct SampleFifo {
    let format: SampleFormat
    let channels: Int
    private var planes: [[UInt8]]
    private let bytesPerSample: Int
    private(set) var count = 0

    init(format: SampleFormat, channels: Int) {
        self.format = format; self.channels = channels
        planes = Array(repeating: [], count: format.isPlanar ? channels : 1)
        bytesPerSample = format.bytesPerSample * (format.isPlanar ? 1 : channels)
    }

    mutating func append(_ frame: Frame) {
        guard frame.sampleCount > 0 else { return }
        for p in 0..<planes.count {
            frame.withSamples(p) { planes[p].append(contentsOf: UnsafeRawBufferPointer($0)) }
        }
        count += frame.sampleCount
    }

    mutating func appendSilence(_ n: Int) {
        guard n > 0 else { return }
        // Zero bytes are silence in every format an audio encoder takes (signed and float samples).
        for p in 0..<planes.count { planes[p].append(contentsOf: repeatElement(0, count: n * bytesPerSample)) }
        count += n
    }

    mutating func pop(_ n: Int, sampleRate: Int) throws -> Frame {
        let frame = try Frame.audio(samples: n, format: format, channels: channels, sampleRate: sampleRate)
        let bytes = n * bytesPerSample
        for p in 0..<planes.count {
            frame.withSamples(p) { dst in planes[p].withUnsafeBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(bytes))) } }
            planes[p].removeFirst(bytes)
        }
        count -= n
        return frame
    }
}

/// Peak level of a microphone over about a second, for the room's level bar and `status`.
final class LevelMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var windowPeak: Float = 0
    private var windowCount = 0
    private var published: Float?

    /// Takes float samples (the encoder's input format for AAC); other formats are not metered.
    func measure(_ frame: Frame, windowSamples: Int) {
        guard frame.sampleFormat == .floatPlanar || frame.sampleFormat == .float, frame.sampleCount > 0 else { return }
        var peak: Float = 0
        frame.withSamples(0) { raw in
            for v in raw.bindMemory(to: Float.self) { peak = max(peak, abs(v)) }
        }
        lock.lock(); defer { lock.unlock() }
        windowPeak = max(windowPeak, peak)
        windowCount += frame.sampleCount
        if windowCount >= windowSamples {
            published = windowPeak
            windowPeak = 0
            windowCount = 0
        }
    }

    var peakDBFS: Double? {
        lock.lock(); defer { lock.unlock() }
        return published.map { $0 > 0 ? max(-120, 20 * log10(Double($0))) : -120 }
    }
}
