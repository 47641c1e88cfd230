import Foundation
import SealrecSystem

/// Exponential backoff with jitter. Store-wide failures (endpoint down, credentials refused, bucket
/// missing) pause every upload together, so a dead store costs one probe per backoff period rather
/// than one per queued item.
struct StoreBackoff {
    /// When the store may be tried again, in seconds on the monotonic clock.
    private(set) var storeReadyAt = -Double.infinity
    private var storeFailures = 0

    static func isStoreWide(_ error: StoreError) -> Bool {
        switch error {
        case .unreachable, .tls, .badCredentials, .accessDenied, .missingBucket, .credentialsFile, .invalidLocation: true
        case .server(let status, _, _, _): status >= 500
        default: false
        }
    }

    /// Doubling from `initial`, capped at `maximum`, then a random point in its upper half.
    static func jittered(attempt: Int, initial: Double, maximum: Double) -> Double {
        let full = min(maximum, initial * pow(2, Double(max(0, attempt - 1))))
        return full / 2 + Double.random(in: 0...(full / 2))
    }

    mutating func storeFailed(initial: Double, maximum: Double) -> Double {
        storeFailures += 1
        let delay = Self.jittered(attempt: storeFailures, initial: initial, maximum: maximum)
        storeReadyAt = MonotonicClock.seconds() + delay
        return delay
    }

    mutating func succeeded() {
        storeFailures = 0
        storeReadyAt = -.infinity
    }
}
