import Foundation
import SealrecDevices
import SealrecSystem

/// Keeps a capture device open across losses: when it fails (unplugged, ENODEV, fatal streaming
/// error) the handle is dropped and reopened every `retryNanos` until the device is back; the
/// stretch without media is then reported as a declared gap. Used on the source's own thread only.
final class DeviceLink<Handle> {
    let sourceName: String
    private let open: () throws -> Handle
    private let retryNanos: Int64
    private(set) var handle: Handle?
    /// Monotonic end of the last good capture: where a gap starts.
    private(set) var lastCaptureEnd: Int64?
    private var lost: (at: Int64, reason: String)?
    private var unconfirmedHole: (from: Int64, to: Int64, reason: String)?
    private var nextAttempt: Int64 = 0
    private let statusLock = NSLock()
    private var statusText = "capturing"

    /// Opens the device once now: a device that fails at start is a configuration error naming it.
    init(sourceName: String, role: String, retryNanos: Int64 = 500_000_000, open: @escaping () throws -> Handle) throws {
        self.sourceName = sourceName
        self.retryNanos = retryNanos
        self.open = open
        do { handle = try open() } catch {
            throw ConfigError("\(role) \(sourceName): \(error)")
        }
    }

    /// The next buffer from the device, waiting out (and recording) its absences; nil once the
    /// session stops. `capture` returns nil on a timeout and throws when the device fails.
    func next(context: CaptureContext, stopRequested: () -> Bool, onLoss: () -> Void = {},
              capture: (Handle) throws -> CapturedBuffer?) throws -> CapturedBuffer? {
        while !stopRequested() && !context.timeline.isPastStop(MonotonicClock.now()) {
            guard let device = current() else { continue }
            do {
                if let buffer = try capture(device) { return buffer }
            } catch let error as DeviceError where error.deviceLost {
                onLoss()
                fail(error)
            }
        }
        finish(context: context)
        return nil
    }

    /// "capturing", or "missing since ...: reason" for the status display.
    var status: String { statusLock.lock(); defer { statusLock.unlock() }; return statusText }
    private func setStatus(_ s: String) { statusLock.lock(); statusText = s; statusLock.unlock() }

    /// The open device, reopening it when due; nil while it is missing (after a short wait, so a
    /// caller looping on this neither spins nor misses a stop request for long).
    func current() -> Handle? {
        if let handle { return handle }
        let now = MonotonicClock.now()
        if now < nextAttempt {
            MonotonicClock.sleep(until: min(nextAttempt, now + 100_000_000))
            return nil
        }
        nextAttempt = now + retryNanos
        do {
            handle = try open()
            setStatus("capturing (reopened)")
        } catch {
            setStatus("missing: \(error)")
        }
        return handle
    }

    /// The device failed: close it and start the gap at the end of the last good capture.
    func fail(_ error: Error) {
        handle = nil
        let now = MonotonicClock.now()
        if lost == nil { lost = (lastCaptureEnd ?? now, "\(error)") }
        nextAttempt = now + min(retryNanos, 100_000_000)
        setStatus("missing: \(error)")
    }

    /// A buffer arrived covering [start, end) on CLOCK_MONOTONIC. Closes a pending gap by
    /// reporting it, and reports a hole the device left in its timestamps (an audio overrun): at
    /// once when the device says it lost data (`deviceSaysLost`), otherwise only when the next
    /// buffer confirms it (one late timestamp is not a hole). True when media was lost just before
    /// this buffer.
    @discardableResult
    func captured(start: Int64, end: Int64, context: CaptureContext, holeThreshold: Int64, deviceSaysLost: Bool = false,
                  holeReason: () -> String) -> Bool {
        defer { lastCaptureEnd = end }
        if let l = lost {
            reportGap(from: l.at, to: start, reason: "device lost (\(l.reason)), back by itself", context: context)
            lost = nil
            return true
        }
        if let hole = unconfirmedHole {
            unconfirmedHole = nil
            // Still in step with the late buffer: the time really passed without sound.
            if start >= hole.to - holeThreshold / 2 { reportGap(from: hole.from, to: hole.to, reason: hole.reason, context: context) }
        }
        guard let last = lastCaptureEnd, start - last > holeThreshold else { return false }
        if deviceSaysLost {
            reportGap(from: last, to: start, reason: holeReason(), context: context)
            return true
        }
        unconfirmedHole = (last, start, holeReason())
        return false
    }

    /// At the end of the session: a device still missing leaves a gap up to the stop instant.
    func finish(context: CaptureContext) {
        guard let l = lost, let zero = context.timeline.zero else { return }
        let stop = context.timeline.stopTime.map { $0 + zero } ?? MonotonicClock.now()
        reportGap(from: l.at, to: min(stop, MonotonicClock.now()), reason: "device lost (\(l.reason)), not back by the end", context: context)
        lost = nil
    }

    private func reportGap(from: Int64, to: Int64, reason: String, context: CaptureContext) {
        guard to > from, let zero = context.timeline.zero else { return }
        context.report(.deviceGap(source: sourceName, startNanos: max(0, from - zero), durationNanos: to - max(from, zero), reason: reason))
    }
}

/// Device sources show whether their device is there (for the daemon's status).
public protocol DeviceStatusReporting {
    var deviceStatus: String { get }
}

extension Timeline {
    /// Whether a monotonic instant is at or after the session's stop time.
    func isPastStop(_ monotonic: Int64) -> Bool {
        guard let stop = stopTime, let zero else { return false }
        return monotonic - zero >= stop
    }
}
