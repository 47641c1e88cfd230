import Foundation
import Testing
@testable import SealrecPipeline
import SealrecDevices
import SealrecSystem

/// The reopen-and-declare logic every device source shares, with a stand-in device that fails on
/// demand (the real drivers are exercised in the VM).
@Suite struct DeviceLinkTests {
    final class Events: @unchecked Sendable {
        let lock = NSLock()
        var list: [PipelineEvent] = []
        func add(_ e: PipelineEvent) { lock.lock(); list.append(e); lock.unlock() }
    }

    final class Flaky {
        var opens = 0
        var available = true
        func open() throws -> Int {
            opens += 1
            guard available else { throw DeviceError("open", device: "/dev/test", errno: ENODEV) }
            return opens
        }
    }

    func context(_ events: Events, timeline: Timeline) -> CaptureContext {
        var c = CaptureContext(timeline: timeline, origin: MonotonicClock.now(), paced: true)
        c.report = { events.add($0) }
        return c
    }

    @Test func aLostDeviceIsReopenedAndItsGapDeclaredFromLastCaptureToReturn() throws {
        let device = Flaky(), events = Events(), timeline = Timeline()
        let ctx = context(events, timeline: timeline)
        let link = try DeviceLink(sourceName: "cam", role: "camera", retryNanos: 20_000_000, open: device.open)
        let t0 = MonotonicClock.now()
        _ = timeline.timelineTime(ofCapture: t0)
        link.captured(start: t0, end: t0 + 40_000_000, context: ctx, holeThreshold: .max) { "" }
        device.available = false
        link.fail(DeviceError("VIDIOC_DQBUF", device: "/dev/test", errno: ENODEV))
        // Tried again (and failing) while the device is away.
        for _ in 0..<20 where device.opens < 2 { #expect(link.current() == nil) }
        #expect(device.opens == 2)
        #expect(link.status.hasPrefix("missing"))
        device.available = true
        var handle: Int?
        for _ in 0..<20 where handle == nil { handle = link.current() }
        #expect(handle != nil && device.opens >= 3)
        let back = t0 + 500_000_000
        link.captured(start: back, end: back + 40_000_000, context: ctx, holeThreshold: .max) { "" }
        guard case let .deviceGap(source, start, duration, reason)? = events.list.first else {
            Issue.record("no gap reported: \(events.list)"); return
        }
        #expect(source == "cam" && start == 40_000_000 && duration == 460_000_000)
        #expect(reason.contains("VIDIOC_DQBUF") && reason.contains("back by itself"))
        #expect(events.list.count == 1)
    }

    @Test func aDeviceStillMissingAtTheEndLeavesAGapToTheStop() throws {
        let device = Flaky(), events = Events(), timeline = Timeline()
        let ctx = context(events, timeline: timeline)
        let link = try DeviceLink(sourceName: "mic", role: "microphone", open: device.open)
        let t0 = MonotonicClock.now() - 2_000_000_000
        _ = timeline.timelineTime(ofCapture: t0)
        link.captured(start: t0, end: t0 + 20_000_000, context: ctx, holeThreshold: .max) { "" }
        link.fail(DeviceError("snd_pcm_readi", device: "hw:CARD=X", errno: ENODEV))
        timeline.stopTime = 1_000_000_000
        link.finish(context: ctx)
        guard case let .deviceGap(_, start, duration, reason)? = events.list.first else {
            Issue.record("no gap reported"); return
        }
        #expect(start == 20_000_000 && duration == 980_000_000 && reason.contains("not back by the end"))
    }

    @Test func aHoleInTheDeviceTimestampsIsDeclaredOnceTheNextBufferConfirmsIt() throws {
        let device = Flaky(), events = Events(), timeline = Timeline()
        let ctx = context(events, timeline: timeline)
        let link = try DeviceLink(sourceName: "mic", role: "microphone", open: device.open)
        let t0 = MonotonicClock.now()
        _ = timeline.timelineTime(ofCapture: t0)
        let ms: Int64 = 1_000_000
        func block(_ startMs: Int64, lost: Bool = false) -> Bool {
            link.captured(start: t0 + startMs * ms, end: t0 + (startMs + 20) * ms, context: ctx, holeThreshold: 60 * ms,
                          deviceSaysLost: lost) { "hole at \(startMs)" }
        }
        _ = block(0); _ = block(50)  // jitter, not a hole
        #expect(events.list.isEmpty)
        // One late timestamp, then back in step: an outlier, never declared.
        #expect(!block(300))
        _ = block(90)
        _ = block(110)
        #expect(events.list.isEmpty)
        // A real hole: the next buffer follows the late one.
        #expect(!block(1130))
        _ = block(1150)
        #expect(events.list == [.deviceGap(source: "mic", startNanos: 130 * ms, durationNanos: 1000 * ms, reason: "hole at 1130")])
        // An overrun the device reports is declared at once.
        #expect(block(2170, lost: true))
        #expect(events.list.count == 2)
    }

    @Test func aDeviceThatFailsAtStartIsAConfigurationErrorNamingIt() {
        let device = Flaky()
        device.available = false
        #expect {
            _ = try DeviceLink(sourceName: "suspect", role: "camera", open: device.open)
        } throws: { "\($0)".hasPrefix("camera suspect: /dev/test: open:") }
    }
}
