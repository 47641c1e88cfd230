import Foundation
import SealrecAV
@testable import SealrecPipeline
import Testing

/// The audio encoder element with a real AAC encoder, fed like a microphone whose capture queue
/// overflowed: the buffers lost at the full queue are a hole of known length in the sound, and the
/// next buffer must land exactly at its capture time, not be steered there over seconds by the
/// drift correction (which would leave the sound tens of ms out of sync meanwhile).
@Suite struct AudioEncodeStageTests {
    struct Outcome {
        var endNanos: Int64 = -1
        var correctedNanos: Int64?
        var droppedReported = 0
    }

    /// 10 s of 20 ms buffers with exact capture times. The queue (8 deep) is filled before the
    /// stage starts, so the `dropped` buffers after the first 8 are refused by `offer`.
    func run(dropped: Int) throws -> Outcome {
        let block = 960, buffers = 500
        let input = BoundedQueue<CapturedBuffer>(capacity: 8)
        let output = BoundedQueue<MuxItem>(capacity: 100_000)
        let encoder = try Encoder(audio: AudioEncoderSettings(channels: 1))
        let stage = AudioEncodeStage(track: 0, sourceName: "mic", encoder: encoder, input: input, output: output,
                                     clock: SegmentClock(segmentNanos: 2_000_000_000), followCaptureClock: true)
        func buffer(_ i: Int) throws -> CapturedBuffer {
            let frame = try Frame.audio(samples: block, format: .s16, channels: 1, sampleRate: 48_000)
            let t = Int64(i) * Int64(block) * 1_000_000_000 / 48_000
            var b = CapturedBuffer(frame: frame, captureTime: t)
            b.timelineTime = t
            return b
        }
        for i in 0..<(8 + dropped) { _ = input.offer(try buffer(i)) }
        #expect(input.dropped == dropped)
        stage.start()
        for i in (8 + dropped)..<buffers { input.put(try buffer(i)) }
        input.close()
        stage.join()
        output.close()
        var outcome = Outcome()
        while let item = output.take() {
            switch item {
            case let .trackEnded(_, end): outcome.endNanos = end
            case let .event(.clockCorrected(_, _, _, corrected, _, _)): outcome.correctedNanos = corrected
            case let .event(.dropped(_, count, _, _)): outcome.droppedReported += count
            default: break
            }
        }
        return outcome
    }

    @Test(arguments: [1, 3])
    func buffersLostAtAFullQueueAreAHoleNotDrift(dropped: Int) throws {
        let r = try run(dropped: dropped)
        #expect(r.droppedReported == dropped)
        // The track ends exactly where the last buffer's capture time says: 500 buffers of 20 ms.
        #expect(r.endNanos == 10_000_000_000, "track ends at \(r.endNanos) ns")
        // And nothing was resampled to get there.
        #expect(abs(r.correctedNanos ?? 0) < 1_000_000, "corrected \(r.correctedNanos ?? 0) ns")
    }

    @Test func withoutLossNothingIsCorrected() throws {
        let r = try run(dropped: 0)
        #expect(r.droppedReported == 0)
        #expect(r.endNanos == 10_000_000_000)
        #expect(abs(r.correctedNanos ?? 0) < 1_000_000)
    }
}
