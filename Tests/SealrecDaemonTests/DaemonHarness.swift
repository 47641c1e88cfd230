import Foundation
import SealrecDaemon
import TestSupport

/// A room daemon (the real `sealrecd` binary) in a scratch folder, for one test.
final class DaemonHarness: @unchecked Sendable {
    let dir: Scratch
    let config: String
    let socket: String
    let spool: String
    let keyDir: String
    private(set) var process: Process?
    private(set) var logs: [String] = []
    private var logPipe: Pipe?
    private var logSink: LogSink?

    /// The daemon's stderr as read so far; `ended` once its end was read.
    final class LogSink: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes = Data()
        private var done = false
        func append(_ d: Data) { lock.withLock { if d.isEmpty { done = true } else { bytes.append(d) } } }
        var data: Data { lock.withLock { bytes } }
        var ended: Bool { lock.withLock { done } }
    }

    init(segmentSeconds: Int = 2, reserveMegabytes: Int = 64, extra: String = "", daemonExtra: String = "", spool spoolPath: String? = nil) throws {
        dir = Scratch("daemon")
        keyDir = dir.file("keys")
        socket = dir.file("control.sock")
        spool = spoolPath ?? dir.file("spool")
        let keygen = try Run.sealrec(["keygen", "--out", keyDir])
        precondition(keygen.status == 0, keygen.stderr)
        config = dir.file("room.json")
        try """
        {"segmentSeconds": \(segmentSeconds), "cameras": [{"width": 320, "height": 240}], \(extra)
         \(extra.contains("\"video\"") ? "" : "\"video\": {\"preset\": \"ultrafast\"},")
         "daemon": {"spool": "\(spool)", "key": "\(keyDir)/room.key", "socket": "\(socket)", "socketGroup": null,
                    "reserveMegabytes": \(reserveMegabytes)\(daemonExtra)}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    static var daemonPath: String { (Run.sealrecPath as NSString).deletingLastPathComponent + "/sealrecd" }

    /// Starts sealrecd (through `via`, e.g. setpriv, when given) and waits until its socket answers.
    func launch(environment: [String: String] = [:], via: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: via.first ?? DaemonHarness.daemonPath)
        p.arguments = via.dropFirst() + (via.isEmpty ? [] : [DaemonHarness.daemonPath]) + ["--config", config]
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        // Drained as it comes: a full pipe would block the daemon's next log line (and what waits on it).
        let sink = LogSink()
        logSink = sink
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            sink.append(data)
        }
        try p.run()
        process = p
        logPipe = err
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? send(.status))?.ok == true { return }
            guard p.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ControlError("sealrecd did not come up: \(collectLog())")
    }

    func send(_ r: ControlRequest) throws -> ControlReply { try ControlClient.send(r, socket: socket) }

    /// Asks for the status until `condition` holds; throws naming `what` when `timeout` seconds pass first.
    @discardableResult
    func waitForStatus(_ what: String, timeout: Double = 30, _ condition: (ControlReply) -> Bool) throws -> ControlReply {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let r = try send(.status)
            if condition(r) { return r }
            guard Date() < deadline else { throw ControlError("\(what): not within \(timeout) s; last status: \(r)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Waits until the running session has recorded `seconds` (on its timeline).
    func waitUntilRecorded(_ seconds: Double) throws {
        try waitForStatus("a session recording for \(seconds) s") { $0.state == "recording" && ($0.elapsedSeconds ?? 0) >= seconds }
    }

    /// Waits until the running session has sealed `count` segments.
    func waitUntilSealed(_ count: Int) throws {
        try waitForStatus("\(count) segment(s) sealed") { $0.state == "recording" && ($0.segmentsSealed ?? 0) >= count }
    }

    /// Waits until the running daemon has logged `text`.
    func waitForLog(_ text: String, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !String(decoding: logSink?.data ?? Data(), as: UTF8.self).contains(text) {
            guard Date() < deadline else { throw ControlError("the daemon did not log \"\(text)\" within \(timeout) s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Sends raw bytes and returns the first reply line (or what arrived before the close).
    func sendRaw(_ bytes: Data) throws -> String {
        let fd = socket_connect(socket)
        guard fd >= 0 else { throw ControlError("connect failed") }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        while !out.contains(10) {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A raw connection to the control socket (-1 when refused).
    func connectRaw() -> Int32 { socket_connect(socket) }

    /// The daemon's resident memory, KiB (from /proc).
    var residentKiB: Int? {
        guard let p = process, let text = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }

    func signal(_ sig: Int32) { if let p = process { kill(p.processIdentifier, sig) } }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        logs.append(collectLog())
        process = nil
    }

    func terminate() {
        guard let p = process else { return }
        p.terminate()
        p.waitUntilExit()
        logs.append(collectLog())
        process = nil
    }

    private func collectLog() -> String {
        guard let pipe = logPipe, let sink = logSink else { return "" }
        logPipe = nil
        logSink = nil
        if process?.isRunning == true { return "" }
        // The daemon has exited: wait for the drain to reach the end of its output.
        let deadline = Date().addingTimeInterval(10)
        while !sink.ended && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if !sink.ended { pipe.fileHandleForReading.readabilityHandler = nil }
        return String(decoding: sink.data, as: UTF8.self)
    }

    var sessionFolders: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/sessions")) ?? []).sorted().map { spool + "/sessions/" + $0 }
    }

    func verify(_ folder: String) throws -> ProcessResult {
        try Run.sealrec(["verify", folder, "--trust", keyDir + "/room.pub.pem"])
    }

    deinit {
        if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) }
        dir.remove()
    }
}

private func socket_connect(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
    if r != 0 { close(fd); return -1 }
    return fd
}

/// The manifest facts a test needs, read as plain JSON lines.
struct ManifestFacts {
    var anchor: Date?
    var sessionID: String?
    var reason: String?
    var lastGoodMicros: Int64?
    var events: [String] = []

    init(folder: String) throws {
        let text = try String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            switch o["type"] as? String {
            case "session":
                let iso = ISO8601DateFormatter()
                iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                anchor = (o["utc_anchor"] as? String).flatMap { iso.date(from: $0) }
                sessionID = o["session_id"] as? String
            case "end": reason = o["reason"] as? String; lastGoodMicros = (o["last_good_us"] as? Int).map(Int64.init)
            case "event": events.append(o["details"] as? String ?? "")
            default: break
            }
        }
    }
}
