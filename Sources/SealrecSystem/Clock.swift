import CSystem
import Foundation

/// CLOCK_MONOTONIC in nanoseconds: the clock every capture time is taken on (kernel V4L2 and ALSA
/// timestamps use it too), immune to wall-clock steps during a session.
public enum MonotonicClock {
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The same clock in seconds (retry and backoff times, which must not jump with the wall clock).
    public static func seconds() -> Double { Double(now()) / 1e9 }

    /// CLOCK_REALTIME (read next to `now()` to anchor a timeline to UTC).
    public static func realtimeNow() -> Date {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Date(timeIntervalSince1970: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }

    /// Sleeps until a monotonic instant (absolute, so pacing errors do not accumulate); a signal
    /// does not cut the sleep short.
    public static func sleep(until deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// Free space on a file system.
public enum DiskSpace {
    /// Bytes an unprivileged process may still write on the file system holding `path`; nil when
    /// it cannot be asked (the path is gone). Saturates rather than overflowing.
    public static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let (free, overflow) = UInt64(stats.f_bavail).multipliedReportingOverflow(by: UInt64(stats.f_frsize))
        return overflow ? .max : Int64(clamping: free)
    }
}

/// The calling thread's scheduling weight. On Linux, nice is per thread: background and client
/// threads lower theirs so capture and encoding win the CPU on a small, busy box.
public enum ThreadPriority {
    /// Adds `steps` nice steps to the calling thread (threads it starts inherit them). Best effort:
    /// a failure leaves the priority as it was.
    public static func lowerCurrent(by steps: Int32) { _ = sr_nice_this_thread(steps) }
}
