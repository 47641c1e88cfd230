import Foundation
import SealrecDaemon
import SealrecPipeline

/// `sealrec start|stop|status|mark`: the room terminal's verbs, over the daemon's control socket.
enum ControlCommands {
    static let usage = """
        sealrec start [--case ID] [--participant ROLE=NAME ...] [--socket PATH | --config FILE]
        sealrec stop [--socket PATH | --config FILE]
        sealrec status [--watch] [--json] [--socket PATH | --config FILE]
        sealrec mark TEXT [--socket PATH | --config FILE]
        """

    static func run(_ verb: String, _ argv: [String]) -> Int32 {
        runCommand(usage: usage) {
            let args = try Arguments(argv, valueFlags: ["--case", "--participant", "--socket", "--config"], switchFlags: ["--watch", "--json"])
            let socket = try args.value("--socket") ?? args.value("--config").map { try RoomConfig.load(path: $0).daemon.socket }
                ?? ProcessInfo.processInfo.environment["SEALREC_SOCKET"] ?? RoomConfig.Daemon().socket
            let request: ControlRequest
            switch verb {
            case "start":
                guard args.positional.isEmpty else { throw UsageError("unexpected argument \(args.positional[0])") }
                request = .start(caseNumber: args.value("--case"), participants: args.all("--participant"))
            case "stop": request = .stop
            case "status": request = .status
            default:
                guard args.positional.count == 1 else { throw UsageError("mark needs one TEXT argument (quote it)") }
                request = .mark(text: args.positional[0])
            }
            repeat {
                let reply: ControlReply
                do { reply = try ControlClient.send(request, socket: socket) } catch {
                    throw ConfigError("cannot reach the room daemon at \(socket): \(error)")
                }
                if args.has("--json") {
                    print(String(decoding: reply.line, as: UTF8.self), terminator: "")
                } else {
                    print(render(reply))
                }
                if !reply.ok { return 1 }
                if args.has("--watch") { Thread.sleep(forTimeInterval: 1); print("") }
            } while args.has("--watch")
            return 0
        }
    }

    static func render(_ r: ControlReply) -> String {
        var lines: [String] = []
        if let e = r.error { lines.append("error: \(safe(e))") }
        if let s = r.state { lines.append("state: \(safe(s))\(r.alreadyRecording == true ? " (already recording: this is the running session)" : "")") }
        if let s = r.session { lines.append("session: \(safe(s))") }
        if let f = r.sessionFolder { lines.append("folder: \(safe(f))") }
        if let e = r.elapsedSeconds { lines.append(String(format: "elapsed: %.1f s", e)) }
        if let n = r.segmentsSealed { lines.append("segments sealed: \(n)") }
        if let d = r.droppedBuffers { lines.append("dropped buffers: \(d)") }
        if let levels = r.audioLevels, !levels.isEmpty {
            lines.append("audio: " + levels.sorted { $0.key < $1.key }.map { safe($0.key) + String(format: " %.1f dBFS", $0.value) }.joined(separator: ", "))
        }
        if let l = r.startLatencyMs { lines.append(String(format: "start latency: %.0f ms", l)) }
        if let f = r.freeDiskBytes {
            lines.append(String(format: "disk: %.1f GB free", Double(f) / 1e9) + (r.hoursOfRecordingLeft.map { String(format: ", about %.1f h of recording", $0) } ?? ""))
        }
        if let items = r.uploadBacklogItems {
            var line = "upload: \(items) object(s), \(String(format: "%.1f", Double(r.uploadBacklogBytes ?? 0) / 1e6)) MB waiting"
            if let rate = r.uploadBytesPerSecond, rate > 0 { line += String(format: ", %.1f MB/s", rate / 1e6) }
            if let eta = r.uploadSecondsToClear, items > 0 { line += String(format: ", clear in about %.0f s", eta) }
            lines.append(line)
        }
        for w in r.warnings ?? [] { lines.append("warning: \(safe(w))") }
        if let l = r.lastSession, r.session != l { lines.append("last session: \(safe(l)) (\(safe(r.lastEndReason ?? "?")))") }
        // The verifier's report escapes what it quotes; its line breaks are its own.
        if let v = r.verification { lines.append(v.trimmingCharacters(in: .newlines)) }
        return lines.joined(separator: "\n")
    }
}
