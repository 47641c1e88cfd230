import Foundation

/// One upload budget shared by every transfer of a queue (rooms share thin links): a token bucket
/// that refills at `bytesPerSecond` and holds at most a quarter second of burst. A transfer asks
/// for each chunk before sending it; a lone transfer gets the whole rate, several share it.
///
/// Asking reserves at once and then sleeps off any debt, so concurrent askers queue up in order
/// and the total never runs ahead of the rate by more than the burst.
public final class BandwidthLimiter: @unchecked Sendable {
    public let bytesPerSecond: Int64
    /// Largest piece to ask for at once: a tenth of a second, so the rate is smooth and a stall
    /// timeout (bytes must keep moving) never fires between pieces.
    public let chunk: Int
    private let burst: Double
    private let lock = NSLock()
    private var available: Double
    private var last: UInt64
    private let now: @Sendable () -> UInt64
    private let sleep: @Sendable (UInt64) -> Void

    /// `now`/`sleep` (nanoseconds on a monotonic clock) are replaceable so tests need not wait.
    public init(bytesPerSecond: Int64,
                now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
                sleep: @escaping @Sendable (UInt64) -> Void = { Thread.sleep(forTimeInterval: Double($0) / 1e9) }) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        chunk = Int(max(1024, min(1 << 20, self.bytesPerSecond / 10)))
        burst = Double(self.bytesPerSecond) / 4
        available = burst
        self.now = now
        self.sleep = sleep
        last = now()
    }

    /// Blocks until `bytes` may be sent.
    public func take(_ bytes: Int) {
        lock.lock()
        let t = now()
        available = min(burst, available + Double(t &- last) * Double(bytesPerSecond) / 1e9)
        last = t
        available -= Double(bytes)
        let debt = -available
        lock.unlock()
        if debt > 0 { sleep(UInt64(debt / Double(bytesPerSecond) * 1e9)) }
    }
}
