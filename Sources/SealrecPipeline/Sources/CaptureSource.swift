import Foundation
import SealrecAV

/// What a capture source hands downstream: one picture or block of samples, with the CLOCK_MONOTONIC
/// instant it was captured and its place on the session timeline (both in nanoseconds).
public struct CapturedBuffer: @unchecked Sendable {
    public let frame: Frame
    public let captureTime: Int64
    public var timelineTime: Int64 = 0
    /// The device lost media just before this buffer (it was reopened, or overran): the encoder
    /// restarts its sample clock here instead of treating the jump in time as clock drift.
    public var discontinuity = false

    public init(frame: Frame, captureTime: Int64) {
        self.frame = frame
        self.captureTime = captureTime
    }
}

/// How sources are driven in one session.
public struct CaptureContext: Sendable {
    public let timeline: Timeline
    /// Monotonic instant the session began; generated sources count their virtual time from it.
    public let origin: Int64
    /// Real time (sleep to each buffer's instant) or as fast as downstream takes buffers.
    public let paced: Bool
    /// Records an event in the session's chain (device sources: gaps, driver drops). May wait for
    /// room in the muxer's queue, so only for rare events, never per buffer.
    public var report: @Sendable (PipelineEvent) -> Void = { _ in }
}

/// Describes a source for the session's device list.
public struct SourceDescription: Sendable, Codable, Equatable {
    public let name: String
    public let kind: MediaKind
    public let source: String
    public let format: String
}

/// A source element: produces buffers on its own thread into its output queue (its src pad).
/// Subclasses implement `open` and `next`; the thread, pacing, timeline and stop logic live here
/// once, so every source behaves the same at the capture end of the pipeline.
open class CaptureSource: @unchecked Sendable {
    public let name: String
    public let kind: MediaKind
    private var worker: Worker?
    private let stateLock = NSLock()
    private var stopRequested = false
    private var failureValue: Error?

    public init(name: String, kind: MediaKind) {
        self.name = name
        self.kind = kind
    }

    open var description: SourceDescription { fatalError("subclass") }

    /// The next buffer, or nil when the source has no more (end of file).
    /// Generated sources may sleep here when `context.paced`.
    open func next(context: CaptureContext) throws -> CapturedBuffer? { fatalError("subclass") }

    /// Frees the device or file; called on the source thread after the loop ends.
    open func release() {}

    /// The error that ended this source early, if any.
    public var failure: Error? { stateLock.lock(); defer { stateLock.unlock() }; return failureValue }

    /// Called on the source's thread when it fails (device gone, read error), with the timeline
    /// time of its last buffer: the session records it as an event.
    public var onFailure: (@Sendable (Error, Int64) -> Void)?

    /// Starts capturing into one queue per consumer (its own encoder, the compositor).
    public func start(outputs: [BoundedQueue<CapturedBuffer>], context: CaptureContext) {
        worker = Worker(name: "capture \(name)", qos: .userInteractive) { [self] in loop(outputs: outputs, context: context) }
    }

    public func stop() { stateLock.lock(); stopRequested = true; stateLock.unlock() }
    /// Device sources that wait for a device to return check this to stop promptly.
    var shouldStop: Bool { stateLock.lock(); defer { stateLock.unlock() }; return stopRequested }

    public func join() { worker?.join() }

    private func loop(outputs: [BoundedQueue<CapturedBuffer>], context: CaptureContext) {
        defer { release(); outputs.forEach { $0.close() } }
        var last: Int64 = 0
        do {
            while !shouldStop {
                guard var buffer = try next(context: context) else { return }
                buffer.timelineTime = context.timeline.timelineTime(ofCapture: buffer.captureTime)
                if let stop = context.timeline.stopTime, buffer.timelineTime >= stop { return }
                guard buffer.timelineTime >= 0 else { continue }
                last = buffer.timelineTime
                // Real-time capture never waits for a consumer: a full queue drops and counts.
                for output in outputs { if context.paced { output.offer(buffer) } else { output.put(buffer) } }
            }
        } catch {
            stateLock.lock(); failureValue = error; stateLock.unlock()
            onFailure?(error, last)
        }
    }
}
