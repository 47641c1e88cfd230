import Foundation
import SealrecPipeline
import SealrecAV

/// `sealrec record`: a one-shot recording without the daemon.
enum RecordCommand {
    static let usage = "sealrec record --out DIR [--duration SECONDS] [--config FILE] [--source synthetic] [--fast]"

    static func run(_ argv: [String]) -> Int32 {
        do {
            let args = try Arguments(argv, valueFlags: ["--out", "--duration", "--config", "--source"], switchFlags: ["--fast"])
            guard args.positional.isEmpty else { throw UsageError("unexpected argument \(args.positional[0])") }
            let out = try args.required("--out")
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
            AVLog.quiet()
            let session = try RecordingSession(config: config, folder: out,
                                               options: .init(fast: args.has("--fast"), durationSeconds: duration))
            let signals = SignalStopper { session.stop() }
            session.start()
            let result = session.wait()
            signals.cancel()
            return report(result, folder: out)
        } catch let e as UsageError {
            Output.error("\(e)\nusage: \(usage)")
            return 2
        } catch {
            Output.error("\(error)")
            return 2
        }
    }

    static func report(_ result: RecordingSession.Result, folder: String) -> Int32 {
        for event in result.events {
            if case let .dropped(source, count, t, _) = event {
                Output.error(String(format: "warning: %@ dropped %d buffer(s) near %.3f s", source, count, Double(t) / 1e9))
            }
        }
        if let failure = result.failure {
            Output.error("recording \(result.reason == .stopped ? "finished with a source failure" : "failed (\(result.reason.rawValue))"): \(failure)")
            if result.reason != .stopped { return 1 }
        }
        print(String(format: "recorded %.3f s in %d segment(s) to %@", result.durationSeconds, result.segments.count, folder))
        return result.failure == nil ? 0 : 1
    }
}

/// SIGINT/SIGTERM end the recording cleanly (sealed, playlist closed) instead of killing it.
final class SignalStopper: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ onSignal: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: onSignal)
            s.resume()
            sources.append(s)
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
