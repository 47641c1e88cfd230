import Foundation
import SealrecAV
import SealrecDevices

/// An ALSA microphone: the configured rate and channels as s16, read on the source's own thread
/// with the driver's CLOCK_MONOTONIC timestamps; overruns and lost devices become declared gaps,
/// and the device is reopened by itself when it returns.
public final class ALSAMicrophoneSource: CaptureSource, DeviceStatusReporting, @unchecked Sendable {
    public let pcmName: String
    public let sampleRate: Int, channels: Int
    private let link: DeviceLink<ALSACapture>
    private var scratch: [UInt8] = []
    /// Overruns of the open PCM already accounted for (a reopened PCM counts from zero).
    private var overrunsSeen: (pcm: ObjectIdentifier?, count: Int) = (nil, 0)

    public init(name: String, pcm: String, sampleRate: Int, channels: Int) throws {
        pcmName = pcm
        self.sampleRate = sampleRate; self.channels = channels
        let openDevice = { () throws -> ALSACapture in try ALSACapture(name: pcm, rate: sampleRate, channels: channels) }
        link = try DeviceLink(sourceName: name, role: "microphone", open: openDevice)
        super.init(name: name, kind: .audio)
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .audio, source: "alsa:\(pcmName)", format: "\(sampleRate) Hz \(channels) ch s16")
    }

    public var deviceStatus: String { link.status }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        try link.next(context: context, stopRequested: { shouldStop }) { try capture($0, context: context) }
    }

    private func capture(_ pcm: ALSACapture, context: CaptureContext) throws -> CapturedBuffer? {
        let bytesPerFrame = ALSACapture.bytesPerSample * channels
        let want = pcm.periodFrames * 2 * bytesPerFrame
        if scratch.count != want { scratch = [UInt8](repeating: 0, count: want) }
        guard let block = try scratch.withUnsafeMutableBytes({ try pcm.read(into: $0, timeoutMillis: 200) }) else { return nil }
        let frame = try Frame.audio(samples: block.frames, format: .s16, channels: channels, sampleRate: sampleRate)
        try scratch.withUnsafeBytes { try frame.fill(fromPacked: UnsafeRawBufferPointer(rebasing: $0.prefix(block.frames * bytesPerFrame))) }
        let duration = Int64(block.frames) * 1_000_000_000 / Int64(sampleRate)
        // More than three periods without samples is a real hole (timestamps jitter by about one).
        let threshold = 3 * Int64(pcm.periodFrames) * 1_000_000_000 / Int64(sampleRate)
        let overran = pcm.overruns > (overrunsSeen.pcm == ObjectIdentifier(pcm) ? overrunsSeen.count : 0)
        overrunsSeen = (ObjectIdentifier(pcm), pcm.overruns)
        let lostBefore = link.captured(start: block.firstSampleNanos, end: block.firstSampleNanos + duration, context: context,
                                       holeThreshold: threshold, deviceSaysLost: overran) {
            let lost = (block.firstSampleNanos - (link.lastCaptureEnd ?? block.firstSampleNanos)) * Int64(sampleRate) / 1_000_000_000
            return "\(overran ? "overrun" : "no samples for a while (stalled device)"): about \(lost) samples lost; overruns recovered so far: \(pcm.overruns)"
        }
        var buffer = CapturedBuffer(frame: frame, captureTime: block.firstSampleNanos)
        buffer.discontinuity = lostBefore
        return buffer
    }
}
