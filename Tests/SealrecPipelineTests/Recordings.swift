import Foundation
import SealrecCrypto
import SealrecPipeline
import SealrecRoom
import SealrecSeal
import TestSupport

/// Recordings shared by several tests (made once per test run, in fast mode).
struct Recording: Sendable {
    let folder: String
    let segments: [ClosedSegment]
    let reason: StopReason
    let events: [PipelineEvent]
    var segmentPaths: [String] { segments.map { folder + "/" + $0.fileName } }

    /// One room key for every test recording: each is sealed as the daemon would seal it.
    static let key: RoomKey = try! RoomKey.generate()

    static func make(_ config: RoomConfig, seconds: Double, label: String, fast: Bool = true) throws -> Recording {
        let folder = Scratch(label).path + "/session"
        let sealer = Sealer(folder: folder, key: key, metadata: SessionMetadata(sessionID: "test-\(label)"), config: config)
        let session = try RecordingSession(config: config, folder: folder, options: .init(fast: fast, durationSeconds: seconds),
                                           observer: sealer)
        session.start()
        let r = session.wait()
        return Recording(folder: folder, segments: r.segments, reason: r.reason, events: r.events)
    }

    /// What the reviewer's verifier says about it.
    var verification: VerificationReport { Verifier.verify(folder: URL(fileURLWithPath: folder), trusted: [Recording.key.publicKey]) }

    /// The first bar: 1 camera + 1 microphone, defaults (1280x720 at 25 fps), 12 s.
    static let oneByOne: Recording = try! make(RoomConfig(), seconds: 12, label: "1x1")

    /// 2 cameras + 2 microphones, different sizes and rates, 12 s.
    static let twoByTwo: Recording = {
        var c = RoomConfig()
        var cam1 = RoomConfig.Camera(); cam1.name = "cam1"; cam1.width = 640; cam1.height = 360; cam1.frameRate = 25
        var cam2 = RoomConfig.Camera(); cam2.name = "cam2"; cam2.width = 320; cam2.height = 240; cam2.frameRate = 25
        var mic1 = RoomConfig.Microphone(); mic1.name = "mic1"
        var mic2 = RoomConfig.Microphone(); mic2.name = "mic2"; mic2.channels = 2; mic2.sampleRate = 44_100
        c.cameras = [cam1, cam2]
        c.microphones = [mic1, mic2]
        c.video.preset = "ultrafast"
        return try! make(c, seconds: 12, label: "2x2")
    }()
}
