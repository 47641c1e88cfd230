import Foundation
import SealrecAV
import SealrecSystem

/// A test microphone: a quiet steady tone, and once per second a loud 1 kHz beep lasting exactly
/// one video frame, starting at the same timeline instant as the synthetic camera's white flash.
public final class SyntheticAudioSource: CaptureSource, @unchecked Sendable {
    public let sampleRate: Int
    public let channels: Int
    public let toneHz: Double
    /// The beep lasts one frame of this rate.
    public let beepFrameRate: Int
    public static let beepHz = 1000.0
    public static let beepAmplitude = 0.7
    public static let toneAmplitude = 0.05
    private let blockSamples: Int
    private var sampleIndex: Int64 = 0

    public init(name: String, sampleRate: Int, channels: Int, toneHz: Double, beepFrameRate: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.toneHz = toneHz
        self.beepFrameRate = beepFrameRate
        self.blockSamples = sampleRate / 100  // 10 ms blocks, like a typical capture period
        super.init(name: name, kind: .audio)
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .audio, source: "synthetic", format: "\(sampleRate) Hz \(channels) ch s16")
    }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        let first = sampleIndex
        sampleIndex += Int64(blockSamples)
        let capture = context.origin + first * 1_000_000_000 / Int64(sampleRate)
        if context.paced { MonotonicClock.sleep(until: capture + Int64(blockSamples) * 1_000_000_000 / Int64(sampleRate)) }
        let frame = try Frame.audio(samples: blockSamples, format: .s16, channels: channels, sampleRate: sampleRate)
        let beepLength = Int64(sampleRate / beepFrameRate)
        let rate = Double(sampleRate)
        frame.withSamples { raw in
            let out = raw.bindMemory(to: Int16.self)
            for i in 0..<blockSamples {
                let n = first + Int64(i)
                let t = Double(n) / rate
                var s = SyntheticAudioSource.toneAmplitude * sin(2 * .pi * toneHz * t)
                if n % Int64(sampleRate) < beepLength {
                    s += SyntheticAudioSource.beepAmplitude * sin(2 * .pi * SyntheticAudioSource.beepHz * t)
                }
                let v = Int16(max(-32767, min(32767, (s * 32767).rounded())))
                for c in 0..<channels { out[i * channels + c] = v }
            }
        }
        return CapturedBuffer(frame: frame, captureTime: capture)
    }
}
