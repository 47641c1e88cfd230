import Foundation
import Testing
import SealrecDaemon
import TestSupport

/// Clients of the control socket that try to hurt the recording (issue 15): floods of marks, marks
/// that are huge in the manifest, log forgery, clients that never read, many clients at once.
@Suite(.serialized) struct HostileClientTests {
    /// Replies counted by kind, from many client threads.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func add(_ kind: String) { lock.withLock { counts[kind, default: 0] += 1 } }
        var all: [String: Int] { lock.withLock { counts } }
        subscript(_ kind: String) -> Int { all[kind] ?? 0 }
        /// Kinds that are neither served nor one of the documented refusals.
        var unexpected: [String: Int] { all.filter { $0.key.hasPrefix("other") || $0.key.hasPrefix("error") } }
    }

    /// Strings collected on another thread.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func set(_ v: [String]) { lock.withLock { items = v } }
        var value: [String] { lock.withLock { items } }
    }

    static func kind(of reply: ControlReply) -> String {
        if reply.ok { return "ok" }
        let e = reply.error ?? ""
        if e.hasPrefix("mark refused: more than") { return "refused: mark rate" }
        if e.hasPrefix("mark refused: the text takes") { return "refused: mark too long" }
        if e.hasPrefix("mark refused:") && e.contains("waiting to be sealed") { return "refused: markers waiting" }
        if e.hasPrefix("too many control connections") { return "refused: too many connections" }
        if e.hasPrefix("control requests refused: more than") { return "refused: busy" }
        if e.contains("not a JSON object") || e.hasPrefix("unknown cmd") { return "refused: bad request" }
        return "other: \(e)"
    }

    /// `clients` threads, each calling `body` until `seconds` have passed; returns when all are done.
    static func hammer(clients: Int, seconds: Double, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        let end = Date().addingTimeInterval(seconds)
        for i in 0..<clients {
            group.enter()
            Thread { while Date() < end { body(i) }; group.leave() }.start()
        }
        group.wait()
    }

    /// Sends one request line (encoded once by the caller: the clients' own CPU must not starve
    /// the recording on a small test machine) on a connection of its own, and counts the reply.
    static func send(_ line: Data, _ d: DaemonHarness, to tally: Tally) {
        do {
            let reply = try d.sendRaw(line)
            tally.add(kind(of: try JSONDecoder().decode(ControlReply.self, from: Data(reply.prefix { $0 != "\n" }.utf8))))
        } catch { tally.add("error: \(error)") }
    }

    /// Status, retried while the daemon refuses it for the rate (right after a flood).
    static func status(_ d: DaemonHarness) throws -> ControlReply {
        let deadline = Date().addingTimeInterval(20)
        while true {
            let r = try d.send(.status)
            if r.ok || Date() > deadline { return r }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// 30,000 combining accents on one letter: one Swift character, 180 KB in the manifest.
    static let combining = "a" + String(repeating: "\u{301}", count: 30_000)

    @Test func aMarkIsMeasuredAsTheManifestWillHoldIt() throws {
        #expect(Self.combining.count == 1)
        let refused = ControlRequest.parse(ControlRequest.mark(text: Self.combining).line.dropLast())
        guard case .failure(let error) = refused else { Issue.record("a 180 KB marker was accepted"); return }
        #expect(error.message == "mark refused: the text takes 180001 bytes in the manifest (a non-ASCII character takes 6), over the 2048-byte limit")
        func accepted(_ text: String) -> Bool {
            (try? ControlRequest.parse(ControlRequest.mark(text: text).line.dropLast()).get()) == .mark(text: text)
        }
        #expect(accepted(String(repeating: "x", count: 2048)))
        #expect(!accepted(String(repeating: "x", count: 2049)))
        #expect(accepted(String(repeating: "é", count: 341)))   // 2046 bytes as \u00e9
        #expect(!accepted(String(repeating: "é", count: 342)))
        #expect(!accepted(String(repeating: "\"", count: 1025)))  // \" is 2 bytes
    }

    @Test func aMarkCannotForgeALogLineAndLongMarksAreLoggedCut() throws {
        let d = try DaemonHarness()
        try d.launch()
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        #expect(try d.send(.mark(text: "ok\n<0>FAKE EMERGENCY")).ok)
        #expect(try d.send(.mark(text: String(repeating: "y", count: 2000))).ok)
        // A refused request whose error quotes what the client sent.
        let bad = try d.sendRaw(Data(#"{"cmd":"x\n<0>FAKE CMD"}"#.utf8 + [10]))
        #expect(bad.contains("unknown cmd"), "\(bad)")
        #expect(try d.send(.stop).ok)
        d.terminate()
        let log = d.logs.joined()
        for line in log.split(separator: "\n") {
            let text = line.replacing(/^<[0-7]>/, with: "")
            #expect(!text.hasPrefix("<") && !text.hasPrefix("FAKE"), "forged log line: \(line)")
        }
        #expect(log.contains(#": ok\x0a<0>FAKE EMERGENCY"#), "\(log)")
        #expect(log.contains(#"x\x0a<0>FAKE CMD"#), "\(log)")
        #expect(log.contains(String(repeating: "y", count: 120) + "... (2000 bytes)") && !log.contains(String(repeating: "y", count: 121)), "\(log)")
    }

    @Test func marksOverTheRateAreRefusedAndTheRestAreSealed() throws {
        let d = try DaemonHarness()
        try d.launch()
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        let tally = Tally()
        let began = Date()
        for i in 0..<60 {
            let r = try d.send(.mark(text: "burst \(i)"))
            tally.add(Self.kind(of: r))
            if !r.ok { #expect(r.error == "mark refused: more than 2 marks a second (after a burst of 10)") }
        }
        let elapsed = Date().timeIntervalSince(began)
        #expect(tally["ok"] >= 10 && Double(tally["ok"]) <= 11 + 2 * elapsed, "\(tally.all) in \(elapsed) s")
        #expect(tally["refused: mark rate"] >= 1, "\(tally.all)")
        let stopped = try d.send(.stop)
        #expect(stopped.ok, "\(stopped)")
        d.terminate()
        let facts = try ManifestFacts(folder: try #require(stopped.sessionFolder))
        #expect(facts.events.filter { $0.hasPrefix("burst ") }.count == tally["ok"])
    }

    /// The attack that cost 2,405 buffers: several clients marking as fast as they can, with texts
    /// that are short in characters and huge in the manifest, and with texts just under the limit.
    @Test func aMarkFloodFromSeveralClientsCostsNoMedia() throws {
        let d = try DaemonHarness()
        let notify = SystemdIntegrationTests.NotifySocket(path: d.dir.file("notify.sock"))
        try d.launch(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "3000000"])
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        let flood = 10.0
        let pings = Collected()
        let listening = Thread { pings.set(notify.collect(for: flood)) }
        listening.start()
        let tally = Tally()
        let longest = String(repeating: "m", count: 2000)
        let lines = [ControlRequest.mark(text: Self.combining).line, ControlRequest.mark(text: longest).line]
        Self.hammer(clients: 4, seconds: flood) { i in Self.send(lines[i % 2], d, to: tally) }
        while !listening.isFinished { Thread.sleep(forTimeInterval: 0.05) }
        let status = try Self.status(d)
        let stopped = try d.send(.stop)
        d.terminate()
        print("mark flood: \(tally.all); status \(status.segmentsSealed ?? -1) segments after \(status.elapsedSeconds ?? -1) s, dropped \(status.droppedBuffers ?? -1)")
        #expect(status.droppedBuffers == 0, "\(status)")
        // 2 s segments: all but the one being written (and one for a slow start) are sealed.
        let expected = Int((status.elapsedSeconds ?? 0) / 2)
        #expect((status.segmentsSealed ?? 0) >= expected - 2, "\(status)")
        #expect(pings.value.filter { $0 == "WATCHDOG=1" }.count >= Int(flood / 2), "\(pings.value)")
        #expect(tally["refused: mark too long"] > 0 && tally["refused: mark rate"] > 0 && tally.unexpected.isEmpty, "\(tally.all)")
        #expect(stopped.ok, "\(stopped)")
        let folder = try #require(stopped.sessionFolder)
        #expect(try d.verify(folder).status == 0)
        #expect(try ManifestFacts(folder: folder).events.filter { $0 == longest }.count == tally["ok"])
    }

    /// 20 clients pipeline requests and never read a reply: they must not hold the server, and a
    /// stop still gets through.
    @Test func clientsThatNeverReadCannotLockOutStop() throws {
        let d = try DaemonHarness()
        try d.launch()
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        let burst = Data(String(repeating: #"{"cmd":"status"}"# + "\n", count: 20_000).utf8)
        var stuck: [Int32] = []
        for _ in 0..<20 {
            let fd = d.connectRaw()
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = burst.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            stuck.append(fd)
        }
        defer { stuck.forEach { close($0) } }
        #expect(stuck.count >= 16)
        Thread.sleep(forTimeInterval: 2)
        let asked = Date()
        let stopped = try ControlClient.send(.stop, socket: d.socket, timeout: 60)
        let latency = Date().timeIntervalSince(asked)
        print("stop with \(stuck.count) clients that never read: answered in \(String(format: "%.2f", latency)) s")
        #expect(stopped.ok, "\(stopped)")
        #expect(latency < 30)
        #expect(try d.send(.status).state == "sealed")
        d.terminate()
        #expect(try d.verify(try #require(stopped.sessionFolder)).status == 0)
    }

    /// A short version of `Scripts/bench control-load`: 50 clients at once (status, marks, bad
    /// requests) during a recording lose no media, and stop still answers.
    @Test func fiftyClientsAtOnceLoseNoMedia() throws {
        let d = try DaemonHarness()
        try d.launch()
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        let tally = Tally()
        let lines = [ControlRequest.mark(text: "load").line, Data("garbage\n".utf8), ControlRequest.status.line]
        Self.hammer(clients: 50, seconds: 10) { i in Self.send(lines[min(i % 5, 2)], d, to: tally) }
        let status = try Self.status(d)
        let asked = Date()
        let stopped = try d.send(.stop)
        let latency = Date().timeIntervalSince(asked)
        d.terminate()
        print("50 clients, 10 s: \(tally.all); dropped \(status.droppedBuffers ?? -1); stop answered in \(String(format: "%.2f", latency)) s")
        #expect(status.droppedBuffers == 0, "\(status)")
        #expect(tally["ok"] > 50 && tally.unexpected.isEmpty, "\(tally.all)")
        #expect(stopped.ok && latency < 30, "\(stopped)")
        #expect(try d.verify(try #require(stopped.sessionFolder)).status == 0)
    }
}

/// Who may press start and stop is not who may read recordings (issue 15, case 12).
@Suite(.serialized) struct SpoolPermissionTests {
    /// The unit used to run the daemon with the socket's group as its own group, so every staff
    /// account could read every session. Here the daemon runs the same way (its group is the
    /// socket's group, `users`); a member of that group only can start and stop through the
    /// socket but cannot list a session folder nor read a segment.
    @Test func theSocketGroupCanStartAndStopButNotReadRecordings() throws {
        let d = try DaemonHarness()
        let text = try String(contentsOfFile: d.config, encoding: .utf8)
        try text.replacingOccurrences(of: #""socketGroup": null"#, with: #""socketGroup": "users""#).write(toFile: d.config, atomically: true, encoding: .utf8)
        chmod(d.dir.path, 0o755)  // the socket's folder: reachable by others, as /run/sealrec is
        try d.launch(via: ["/usr/bin/setpriv", "--regid=users", "--keep-groups"])
        let staff = ["--reuid=nobody", "--regid=nogroup", "--groups=users"]
        func asStaff(_ args: [String]) throws -> ProcessResult { try Run.tool("setpriv", staff + args) }
        let started = try asStaff([Run.sealrecPath, "start", "--socket", d.socket])
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)")
        // Wait (polling) until the first segment is sealed.
        var folder: String?
        let deadline = Date().addingTimeInterval(30)
        while folder == nil && Date() < deadline {
            folder = d.sessionFolders.first { FileManager.default.fileExists(atPath: $0 + "/seg-00000.mp4") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let session = try #require(folder)
        for target in [session + "/seg-00000.mp4", session + "/manifest.jsonl", d.spool + "/current.json"] {
            let read = try asStaff(["/bin/cat", target])
            #expect(read.status != 0 && read.stderr.contains("Permission denied"), "staff read \(target): \(read.status) \(read.stderr)")
        }
        let listed = try asStaff(["/bin/ls", session])
        #expect(listed.status != 0, "staff listed \(session): \(listed.stdout)")
        var st = stat()
        for path in [d.spool, d.spool + "/sessions", session, session + "/seg-00000.mp4"] {
            #expect(stat(path, &st) == 0 && st.st_mode & 0o077 == 0, "\(path) has mode \(String(st.st_mode & 0o777, radix: 8))")
        }
        let stopped = try asStaff([Run.sealrecPath, "stop", "--socket", d.socket])
        #expect(stopped.status == 0, "\(stopped.stdout)\(stopped.stderr)")
        d.terminate()
        #expect(try d.verify(session).status == 0)
    }
}
