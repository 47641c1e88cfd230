import SealrecPipeline
import SealrecSystem

/// A rate limit: `burst` at once, then `perSecond` (on CLOCK_MONOTONIC). Not thread-safe; its owner locks.
struct TokenBucket: Sendable {
    let burst: Double
    let perSecond: Double
    private var tokens: Double
    private var last: Int64

    init(burst: Int, perSecond: Double, now: Int64 = MonotonicClock.now()) {
        self.burst = Double(burst); self.perSecond = perSecond; tokens = Double(burst); last = now
    }

    /// Whether a token is there (none taken).
    mutating func hasToken(now: Int64 = MonotonicClock.now()) -> Bool {
        tokens = min(burst, tokens + Double(max(0, now - last)) / 1e9 * perSecond)
        last = now
        return tokens >= 1
    }

    /// Takes one token if there is one.
    mutating func take(now: Int64 = MonotonicClock.now()) -> Bool {
        tokens = min(burst, tokens + Double(max(0, now - last)) / 1e9 * perSecond)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
