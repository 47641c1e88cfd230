import Foundation
import Testing
import SealrecDevices
@testable import SealrecPipeline
import TestSupport
import SealrecSystem

/// The real alsa-lib API path without sound hardware: alsa-lib's own `file` plugin (over its `null`
/// device) delivers a raw PCM file's samples as a capture PCM, defined in a generated asoundrc.
/// It does not pace or timestamp like a card (timing, drift and overruns are tested in the VM).
@Suite(.serialized) struct ALSAFilePluginTests {
    static let fixture: (folder: Scratch, pcm: String, samples: [Int16]) = {
        let dir = Scratch("alsa")
        let samples = (0..<48_000).map { Int16(truncatingIfNeeded: ($0 * 37) % 65_536 - 32_768) }
        let raw = dir.file("in.raw")
        FileManager.default.createFile(atPath: raw, contents: samples.withUnsafeBytes { Data($0) })
        let rc = dir.file("asoundrc")
        let text = """
            pcm.sealrectest { type file slave.pcm "null" file "/dev/null" infile "\(raw)" format "raw" }
            """
        FileManager.default.createFile(atPath: rc, contents: Data(text.utf8))
        // alsa-lib reads its configuration files from this variable when it first needs them.
        setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:\(rc)", 1)
        return (dir, "sealrectest", samples)
    }()

    @Test func captureDeliversTheFileSamplesInOrder() throws {
        let f = Self.fixture
        let pcm = try ALSACapture(name: f.pcm, rate: 48_000, channels: 1)
        #expect(pcm.rate == 48_000 && pcm.channels == 1 && pcm.periodFrames > 0)
        var got: [Int16] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var previousTime: Int64 = 0
        while got.count < 24_000 {
            guard let block = try buffer.withUnsafeMutableBytes({ try pcm.read(into: $0, timeoutMillis: 1000) }) else { continue }
            #expect(block.frames > 0 && block.frames <= 2048)
            #expect(block.firstSampleNanos >= previousTime - 1_000_000_000)
            previousTime = block.firstSampleNanos
            buffer.withUnsafeBytes { raw in got += raw.bindMemory(to: Int16.self).prefix(block.frames) }
        }
        #expect(Array(got.prefix(24_000)) == Array(f.samples.prefix(24_000)))
    }

    @Test func microphoneSourceGivesFramesOfTheConfiguredShape() throws {
        let f = Self.fixture
        let source = try ALSAMicrophoneSource(name: "mic", pcm: f.pcm, sampleRate: 48_000, channels: 1)
        #expect(source.description.source == "alsa:sealrectest")
        let context = CaptureContext(timeline: Timeline(), origin: MonotonicClock.now(), paced: true)
        let buffer = try #require(try source.next(context: context))
        #expect(buffer.frame.sampleRate == 48_000 && buffer.frame.channels == 1 && buffer.frame.sampleCount > 0)
        let first = buffer.frame.withSamples { Array($0.bindMemory(to: Int16.self).prefix(100)) }
        #expect(first == Array(f.samples.prefix(100)))
        #expect(source.deviceStatus == "capturing")
    }

    @Test func unknownPCMNameFailsNamingIt() {
        _ = Self.fixture
        #expect {
            _ = try ALSAMicrophoneSource(name: "table", pcm: "hw:CARD=NoSuchCard,DEV=0", sampleRate: 48_000, channels: 1)
        } throws: { error in
            let text = "\(error)"
            return text.contains("microphone table") && text.contains("hw:CARD=NoSuchCard,DEV=0") && text.contains("sealrec devices")
        }
    }
}
