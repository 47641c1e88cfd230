import Foundation

/// CLOCK_MONOTONIC in nanoseconds: the clock every capture time is taken on (kernel V4L2 and ALSA
/// timestamps use it too), immune to wall-clock steps during a session.
public enum MonotonicClock {
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public static func realtimeNow() -> Date {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Date(timeIntervalSince1970: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }

    /// Sleeps until a monotonic instant (absolute, so pacing errors do not accumulate).
    public static func sleep(until deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

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
