import Foundation

/// Upload throughput over the last minute, from completed transfers.
struct ThroughputMeter {
    private var recent: [(started: Date, finished: Date, bytes: Int64)] = []
    private(set) var totalItems = 0
    private(set) var totalBytes: Int64 = 0
    static let window: TimeInterval = 60

    mutating func record(bytes: Int64, started: Date, finished: Date) {
        totalItems += 1
        totalBytes += bytes
        recent.append((started, finished, bytes))
        recent.removeAll { finished.timeIntervalSince($0.finished) > Self.window }
    }

    /// Bytes of transfers finished within the window, over the time since the earliest of them began.
    func bytesPerSecond(now: Date) -> Double {
        let inWindow = recent.filter { now.timeIntervalSince($0.finished) <= Self.window }
        guard let earliest = inWindow.map(\.started).min() else { return 0 }
        let span = max(now.timeIntervalSince(earliest), 0.001)
        return Double(inWindow.reduce(Int64(0)) { $0 + $1.bytes }) / span
    }
}
