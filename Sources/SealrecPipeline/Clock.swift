import Foundation
import SealrecSystem

/// The session timeline: zero at the first capture of any source; the UTC instant of zero is
/// recorded so every timeline time maps to a wall-clock time.
public final class Timeline: @unchecked Sendable {
    private let lock = NSLock()
    private var zeroNanos: Int64?
    private var anchor: Date?
    private var stopNanos: Int64?

    public init() {}

    /// Timeline time of a capture, setting zero on the first one. Negative for a capture that
    /// happened before zero (a source that reported late): such buffers are not recorded.
    public func timelineTime(ofCapture monotonic: Int64) -> Int64 {
        lock.lock(); defer { lock.unlock() }
        if zeroNanos == nil {
            zeroNanos = monotonic
            // Map zero to UTC through a simultaneous reading of both clocks.
            let mono = MonotonicClock.now()
            let real = MonotonicClock.realtimeNow()
            anchor = real.addingTimeInterval(-Double(mono - monotonic) / 1e9)
        }
        return monotonic - zeroNanos!
    }

    public var zero: Int64? { lock.lock(); defer { lock.unlock() }; return zeroNanos }
    public var utcAnchor: Date? { lock.lock(); defer { lock.unlock() }; return anchor }

    /// Timeline time at which capture ends; buffers at or after it are not recorded.
    public var stopTime: Int64? {
        get { lock.lock(); defer { lock.unlock() }; return stopNanos }
        set { lock.lock(); stopNanos = newValue; lock.unlock() }
    }

    /// Ends the recording now (or at zero if nothing has been captured yet).
    public func stopNow() {
        lock.lock(); defer { lock.unlock() }
        guard stopNanos == nil else { return }
        stopNanos = zeroNanos.map { MonotonicClock.now() - $0 } ?? 0
    }
}
