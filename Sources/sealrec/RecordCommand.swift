import Foundation
import SealrecAV
import SealrecCrypto
import SealrecPipeline
import SealrecRoom
import SealrecSeal
import SealrecSystem

/// `sealrec record`: a one-shot sealed recording without the daemon.
enum RecordCommand {
    static let usage = """
        sealrec record --out DIR --key ROOM_KEY [--duration SECONDS] [--config FILE] [--source synthetic] [--fast]
                       [--case ID] [--participant ROLE=NAME ...] [--upload-to STORE_URL [--spool DIR] [--upload-wait SECONDS]]
        """

    static func run(_ argv: [String]) -> Int32 {
        runCommand(usage: usage, failureStatus: 2) {
            let args = try Arguments(argv, valueFlags: ["--out", "--duration", "--config", "--source", "--key", "--case", "--participant",
                                                          "--upload-to", "--spool", "--upload-wait"],
                                     switchFlags: ["--fast"])
            guard args.positional.isEmpty else { throw UsageError("unexpected argument \(args.positional[0])") }
            let out = try args.required("--out")
            let keyPath = try args.required("--key")
            let duration = try args.double("--duration")
            var config = try args.value("--config").map { try RoomConfig.load(path: $0) } ?? RoomConfig()
            switch args.value("--source") {
            case nil: break
            case "synthetic": config = config.withSyntheticSources()
            case let other?: throw UsageError("--source must be 'synthetic' (devices come from the room config), not '\(other)'")
            }
            let generated = (config.cameras.map(\.source) + config.microphones.map(\.source)).contains(.synthetic)
            if duration == nil && args.has("--fast") && generated {
                throw UsageError("--fast with synthetic sources needs --duration (they never end by themselves)")
            }
            let metadata = SessionMetadata(sessionID: SessionMetadata.newSessionID(room: config.room.id),
                                           caseNumber: args.value("--case"), participants: args.all("--participant"))
            try metadata.validate()
            // The key is checked before anything is created: no key, no recording.
            let key: RoomKey
            do { key = try RoomKey.load(from: URL(fileURLWithPath: keyPath)) } catch {
                throw ConfigError("room key: \(error)")
            }
            AVLog.quiet()
            let sealer = Sealer(folder: out, key: key, metadata: metadata, config: config)
            let session = try RecordingSession(config: config, folder: out,
                                               options: .init(fast: args.has("--fast"), durationSeconds: duration, caseNumber: metadata.caseNumber),
                                               observer: sealer)
            let upload = try args.value("--upload-to").map { try RecordUpload(store: $0, spool: args.value("--spool"), folder: out) }
            sealer.sink = upload?.sink
            // SIGINT/SIGTERM end the recording cleanly (sealed, playlist closed) instead of killing it.
            let signals = SignalHandlers()
            for sig in [SIGINT, SIGTERM] { signals.on(sig) { session.stop() } }
            upload?.start()
            session.start()
            let result = session.wait()
            signals.cancel()
            if let cpu = session.compositorCPUSeconds, result.durationSeconds > 0 {
                print("compositor: \(Double(Int(cpu * 1000)) / 1000) CPU s for \(result.durationSeconds) s recorded "
                      + "(\(Double(Int(cpu / result.durationSeconds * 1000)) / 10) % of one core)")
            }
            let recorded = report(result, folder: out, sessionID: metadata.sessionID, key: key)
            let uploaded = upload?.finish(timeout: try args.double("--upload-wait") ?? 60) ?? true
            return recorded != 0 ? recorded : (uploaded ? 0 : 75)
        }
    }

    static func report(_ result: RecordingSession.Result, folder: String, sessionID: String, key: RoomKey) -> Int32 {
        for event in result.events {
            if case let .dropped(source, count, t, _) = event {
                Output.error("warning: \(source) dropped \(count) buffer(s) near \(Double(t / 1_000_000) / 1000) s")
            }
            if case let .deviceGap(source, start, duration, reason) = event {
                Output.error("warning: \(source) had no media for \(Double(duration / 1_000_000) / 1000) s from \(Double(start / 1_000_000) / 1000) s: \(reason)")
            }
        }
        if let failure = result.failure {
            Output.error("recording \(result.reason == .stopped ? "finished with a source failure" : "failed (\(result.reason.rawValue))"): \(failure)")
        }
        let seconds = Double(Int64(result.durationSeconds * 1000)) / 1000
        print("recorded \(seconds) s in \(result.segments.count) segment(s) to \(safe(folder))")
        print("session \(sessionID)")
        // Check what was written with the same verifier a reviewer uses.
        let report = Verifier.verify(folder: URL(fileURLWithPath: folder), trusted: [key.publicKey])
        print(report.text(), terminator: report.text().hasSuffix("\n") ? "" : "\n")
        return result.failure == nil && result.reason == .stopped && report.verdict == .verified ? 0 : 1
    }
}
