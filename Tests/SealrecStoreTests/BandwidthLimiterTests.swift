import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

/// A monotonic clock that only moves when someone sleeps on it: the limiter's pacing is checked
/// to the nanosecond without a test that waits.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanos: UInt64 = 1_000_000_000
    private(set) var slept: UInt64 = 0
    var now: UInt64 { lock.withLock { nanos } }
    func sleep(_ n: UInt64) { lock.withLock { nanos += n; slept += n } }
    func advance(seconds: Double) { lock.withLock { nanos += UInt64(seconds * 1e9) } }
    func limiter(_ rate: Int64) -> BandwidthLimiter {
        BandwidthLimiter(bytesPerSecond: rate, now: { self.now }, sleep: { self.sleep($0) })
    }
}

@Suite struct BandwidthLimiterTests {
    @Test func pacesToTheRateAfterAQuarterSecondBurst() {
        let clock = FakeClock()
        let limiter = clock.limiter(200_000)
        for _ in 0..<10 { limiter.take(100_000) }
        // 1 MB at 200 kB/s is 5 s, less the 50 kB (a quarter second) the bucket starts with.
        #expect(abs(Double(clock.slept) / 1e9 - 4.75) < 0.001, "slept \(Double(clock.slept) / 1e9) s")
    }

    @Test func idleTimeIsNotSavedUpBeyondTheBurst() {
        let clock = FakeClock()
        let limiter = clock.limiter(100_000)
        clock.advance(seconds: 60)  // a quiet minute must not buy a minute of line-rate sending
        limiter.take(125_000)
        #expect(abs(Double(clock.slept) / 1e9 - 1.0) < 0.001, "slept \(Double(clock.slept) / 1e9) s")
    }

    @Test func aFolderUploadAsksForEveryByteInSmallPieces() throws {
        let scratch = Scratch("limiter-folder")
        defer { scratch.remove() }
        let bytes = (0..<300_000).map { UInt8($0 % 253) }
        let source = scratch.file("a.bin")
        FileManager.default.createFile(atPath: source, contents: Data(bytes))
        let clock = FakeClock()
        let limiter = clock.limiter(100_000)
        #expect(limiter.chunk == 10_000)
        try FolderStore(root: scratch.file("store")).put(file: source, key: "r/s/a.bin", sha256: SHA256Hasher.hash(bytes),
                                                         length: 300_000, limiter: limiter)
        #expect(abs(Double(clock.slept) / 1e9 - 2.75) < 0.001, "slept \(Double(clock.slept) / 1e9) s")
    }

    @Test func theQueueSharesOneBudgetAcrossItsWorkers() throws {
        let scratch = Scratch("limiter-queue")
        defer { scratch.remove() }
        let store = WatchingStore(base: FolderStore(root: scratch.file("store")))
        let queue = try UploadQueue(spool: scratch.file("spool"), store: store,
                                    options: .init(concurrency: 3, maxBytesPerSecond: 4_000_000))
        for i in 0..<9 {
            let bytes = (0..<400_000).map { UInt8(($0 + i) % 241) }
            try queue.enqueue(bytes: bytes, key: "r/s/\(i).bin")
        }
        queue.start()
        #expect(queue.waitUntilEmpty(timeout: 60))
        queue.stop()
        let seen = store.seen
        #expect(seen.count == 9)
        // Every transfer paced by the same limiter, holding the whole cap (not a third of it each).
        #expect(Set(seen.map(\.limiter)).count == 1)
        #expect(seen.allSatisfy { $0.rate == 4_000_000 })
        #expect(store.mostAtOnce > 1, "the workers never overlapped, so sharing was not exercised")
    }
}

/// Passes puts through to a real store, noting which limiter each one was given and how many ran at once.
final class WatchingStore: ObjectStore, @unchecked Sendable {
    let base: FolderStore
    private let lock = NSLock()
    private var active = 0
    private(set) var mostAtOnce = 0
    private(set) var seen: [(limiter: ObjectIdentifier?, rate: Int64?)] = []
    init(base: FolderStore) { self.base = base }
    var description: String { "watching \(base)" }

    func put(file: String, key: String, sha256: Digest, length: Int64, limiter: BandwidthLimiter?) throws(StoreError) -> ObjectInfo {
        lock.withLock {
            active += 1
            mostAtOnce = max(mostAtOnce, active)
            seen.append((limiter.map(ObjectIdentifier.init), limiter?.bytesPerSecond))
        }
        defer { lock.withLock { active -= 1 } }
        return try base.put(file: file, key: key, sha256: sha256, length: length, limiter: limiter)
    }
    func head(key: String) throws(StoreError) -> ObjectInfo? { try base.head(key: key) }
    func get(key: String, to path: String, maxBytes: Int64) throws(StoreError) -> ObjectInfo { try base.get(key: key, to: path, maxBytes: maxBytes) }
    func list(prefix: String) throws(StoreError) -> [String] { try base.list(prefix: prefix) }
    func delete(key: String) throws(StoreError) { try base.delete(key: key) }
}
