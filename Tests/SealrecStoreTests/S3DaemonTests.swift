import Foundation
import Testing
import TestSupport

/// The room daemon (`sealrecd`) uploading to a real S3 server: killed mid-upload, and pointed at
/// a store it cannot use.
@Suite(.serialized) struct S3DaemonTests {
    final class Daemon: @unchecked Sendable {
        let scratch = Scratch("s3-daemon")
        var process: Process?
        var socket: String { scratch.file("control.sock") }
        var config: String { scratch.file("room.json") }

        init(store: String) throws {
            #expect(try Run.sealrec(["keygen", "--out", scratch.file("keys")]).status == 0)
            try """
            {"room": {"id": "room-9"}, "segmentSeconds": 1, "cameras": [{"width": 320, "height": 240}], "video": {"preset": "ultrafast"},
             "daemon": {"spool": "\(scratch.file("spool"))", "key": "\(scratch.file("keys/room.key"))", "socket": "\(socket)",
                        "socketGroup": null, "reserveMegabytes": 64, "store": "\(store)"}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func launch() throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: (Run.sealrecPath as NSString).deletingLastPathComponent + "/sealrecd")
            p.arguments = ["--config", config]
            p.standardError = FileHandle.nullDevice
            try p.run()
            process = p
            for _ in 0..<200 where (try? ctl(["status"]))?.status != 0 { Thread.sleep(forTimeInterval: 0.05) }
        }

        func ctl(_ args: [String]) throws -> ProcessResult { try Run.sealrec(args + ["--socket", socket]) }

        func status() throws -> [String: Any] {
            let r = try ctl(["status", "--json"])
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        /// Asks for the status until `condition` holds; fails naming `what` after `timeout` seconds.
        func waitForStatus(_ what: String, timeout: Double = 30, _ condition: ([String: Any]) -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            var last: [String: Any] = [:]
            while Date() < deadline {
                last = try status()
                if condition(last) { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw TestFailure("\(what): not within \(timeout) s; last status: \(last)")
        }

        /// Waits until the session being recorded has sealed `count` segments.
        func waitUntilSealed(_ count: Int) throws {
            try waitForStatus("\(count) segment(s) sealed") { $0["state"] as? String == "recording" && ($0["segmentsSealed"] as? Int ?? 0) >= count }
        }

        func kill9() { if let p = process { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }; process = nil }
        func terminate() { if let p = process { p.terminate(); p.waitUntilExit() }; process = nil }
        var sessions: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: scratch.file("spool/sessions"))) ?? []).sorted() }
        deinit { kill9(); scratch.remove() }
    }

    @Test func daemonKilledMidUploadLosesNothingAndStoresEverythingOnce() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        try server.createBucket("evidence", versioning: true)
        let d = try Daemon(store: server.url("evidence"))
        try d.launch()
        #expect(try d.ctl(["start"]).status == 0)
        try d.waitUntilSealed(3)
        d.kill9()                   // mid-session, mid-upload
        try d.launch()              // recovers, re-queues, resumes in a linked session
        try d.waitUntilSealed(2)
        #expect(try d.ctl(["stop"]).status == 0)
        var backlog = -1
        for _ in 0..<300 where backlog != 0 {
            Thread.sleep(forTimeInterval: 0.2)
            backlog = try d.status()["uploadBacklogItems"] as? Int ?? -1
        }
        #expect(backlog == 0)
        d.terminate()
        #expect(d.sessions.count == 2)
        for session in d.sessions {
            // Every local file is in the store, and the session verifies from the store alone.
            let v = try Run.sealrec(["verify", server.url("evidence/room-9/" + session), "--trust", d.scratch.file("keys/room.pub.pem")])
            #expect(v.status == 0, "\(session): \(v.stdout)\(v.stderr)")
            for name in try FileManager.default.contentsOfDirectory(atPath: d.scratch.file("spool/sessions/" + session)) where name.hasSuffix(".mp4") {
                let back = d.scratch.file("back-\(session)-\(name)")
                #expect(try server.aws(["s3", "cp", "--quiet", "s3://evidence/room-9/\(session)/\(name)", back]).status == 0)
                #expect(FileManager.default.contents(atPath: back) == FileManager.default.contents(atPath: d.scratch.file("spool/sessions/\(session)/\(name)")))
            }
        }
        // Exactly once: one version of every key, although the restart queued the first session again.
        let versions = try server.versionCounts(bucket: "evidence")
        #expect(!versions.isEmpty && versions.values.allSatisfy { $0 == 1 }, "\(versions.filter { $0.value != 1 })")
    }

    @Test func aStoreThatRefusesShowsInStatusWhileRecordingGoesOn() throws {
        let server = try SeaweedServer()
        defer { server.stop() }
        // No such bucket: the upload cannot succeed, the recording must not care.
        let d = try Daemon(store: server.url("no-such-bucket"))
        try d.launch()
        #expect(try d.ctl(["start"]).status == 0)
        var error: String?
        for _ in 0..<60 where error == nil {
            Thread.sleep(forTimeInterval: 0.25)
            error = try d.status()["uploadError"] as? String
        }
        #expect(error?.contains("missing_bucket") == true, "\(String(describing: error))")
        let s = try d.status()
        #expect(s["state"] as? String == "recording" && (s["uploadBacklogItems"] as? Int ?? 0) > 0)
        #expect(try d.ctl(["status"]).stdout.contains("warning: upload waiting: missing_bucket"))
        let stop = try d.ctl(["stop"])
        #expect(stop.status == 0 && stop.stdout.contains("VERIFIED"), "\(stop.stdout)")
        d.terminate()
    }
}
