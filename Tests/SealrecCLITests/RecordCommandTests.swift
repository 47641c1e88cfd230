import Foundation
import Testing
import TestSupport

/// The `sealrec record` command as a user meets it: bad input gets one clear line and leaves no
/// session behind that could pass for a recording.
@Suite struct RecordCommandTests {
    /// One room key for the suite, made with `sealrec keygen`.
    static let keyDir: String = {
        let dir = Scratch("key").path + "/keys"
        let r = try! Run.sealrec(["keygen", "--out", dir])
        precondition(r.status == 0, r.stderr)
        return dir
    }()

    private func record(_ args: [String], key: String? = RecordCommandTests.keyDir + "/room.key") throws -> ProcessResult {
        try Run.sealrec(["record"] + args + (key.map { ["--key", $0] } ?? []))
    }

    private func expectRefused(_ r: ProcessResult, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let firstLine = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("sealrec: ") && firstLine.contains(text), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func recordsAndSaysWhere() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        let out = dir.file("session")
        let r = try record(["--duration", "2", "--out", out, "--fast"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("recorded 2.0 s in 1 segment(s) to \(out)"))
        #expect(r.stdout.contains("VERIFIED"))
        #expect(FileManager.default.fileExists(atPath: out + "/seg-00000.mp4"))
        // An independent check: the reviewer's verifier, with the room's public key.
        let verify = try Run.sealrec(["verify", out, "--trust", RecordCommandTests.keyDir + "/room.pub.pem"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func missingConfigFile() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        let r = try record(["--duration", "2", "--out", dir.file("s"), "--config", dir.file("nope.json")])
        expectRefused(r, mentioning: "cannot read room config \(dir.file("nope.json"))")
        #expect(!FileManager.default.fileExists(atPath: dir.file("s")))
    }

    @Test(arguments: [
        ("{ not json", "not valid JSON"),
        (#"{"segmentSeconds": 0}"#, "segmentSeconds must be 1 to 60"),
        (#"{"video": {"encoder": "h264_nonexistent"}}"#, "unknown encoder 'h264_nonexistent'"),
        (#"{"video": {"encoder": "aac"}}"#, "encoder 'aac' is not a video encoder"),
        (#"{"video": {"options": {"tunne": "film"}}}"#, "unknown option(s) for encoder libx264: tunne"),
        (#"{"audio": {"encoder": "libx264"}}"#, "encoder 'libx264' is not an audio encoder"),
    ])
    func invalidConfig(json: String, expected: String) throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        let config = dir.file("room.json")
        try json.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try record(["--duration", "2", "--out", dir.file("s"), "--config", config, "--fast"])
        expectRefused(r, mentioning: expected)
        #expect(!FileManager.default.fileExists(atPath: dir.file("s")))
    }

    @Test func unwritableOutputFolder() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        #expect(FileManager.default.createFile(atPath: dir.file("file"), contents: Data("x".utf8)))
        // Tests run as root, so permissions cannot make a folder unwritable: use places no one can write.
        expectRefused(try record(["--duration", "1", "--out", dir.file("file") + "/session", "--fast"]),
                      mentioning: "cannot create output folder \(dir.file("file"))/session")
        expectRefused(try record(["--duration", "1", "--out", "/proc/sealrec-session", "--fast"]),
                      mentioning: "cannot create output folder /proc/sealrec-session")
    }

    @Test func outputFolderThatIsNotEmpty() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        #expect(FileManager.default.createFile(atPath: dir.file("old.mp4"), contents: Data("x".utf8)))
        expectRefused(try record(["--duration", "1", "--out", dir.path, "--fast"]), mentioning: "is not empty")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["old.mp4"])
    }

    @Test func recordingNeedsAPrivateRoomKey() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        expectRefused(try record(["--duration", "1", "--out", dir.file("s"), "--fast"], key: nil), mentioning: "missing --key")
        expectRefused(try record(["--duration", "1", "--out", dir.file("s"), "--fast"], key: dir.file("none.key")),
                      mentioning: "room key")
        // A key others can read is no longer the room's alone.
        let exposed = dir.file("exposed.key")
        try FileManager.default.copyItem(atPath: RecordCommandTests.keyDir + "/room.key", toPath: exposed)
        chmod(exposed, 0o644)
        let r = try record(["--duration", "1", "--out", dir.file("s"), "--fast"], key: exposed)
        expectRefused(r, mentioning: "room key")
        #expect(r.stderr.contains(exposed))
        #expect(!FileManager.default.fileExists(atPath: dir.file("s")))
    }

    @Test func caseAndParticipantsAreCheckedAndSealed() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        expectRefused(try record(["--duration", "1", "--out", dir.file("s"), "--fast", "--participant", "nobody"]),
                      mentioning: "participant 'nobody' must be ROLE=NAME")
        let out = dir.file("ok")
        let r = try record(["--duration", "1", "--out", out, "--fast", "--case", "2026-K-77", "--participant", "suspect=J. Doe"])
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = try String(contentsOfFile: out + "/manifest.jsonl", encoding: .utf8)
        #expect(manifest.contains(#""case_number":"2026-K-77""#) && manifest.contains(#""participants":["suspect=J. Doe"]"#))
    }

    @Test func usageMistakes() throws {
        expectRefused(try record(["--duration", "abc", "--out", "/tmp/x"]), mentioning: "--duration needs a positive number")
        expectRefused(try record(["--duration", "1"]), mentioning: "missing --out")
        expectRefused(try record(["--out", "/tmp/x", "--bogus"]), mentioning: "unknown option --bogus")
        expectRefused(try record(["--out", "/tmp/x", "--fast"]), mentioning: "--fast with synthetic sources needs --duration")
        expectRefused(try record(["--out", "/tmp/x", "--source", "webcam"]), mentioning: "--source must be 'synthetic'")
    }

    @Test func interruptedRecordingStopsCleanly() throws {
        let dir = Scratch("cli")
        defer { dir.remove() }
        let out = dir.file("session")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Run.sealrecPath)
        p.arguments = ["record", "--out", out, "--key", RecordCommandTests.keyDir + "/room.key"]
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        // Interrupted once it has sealed a segment: the stop must close a session with media in it.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/seg-00000.mp4") && p.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(FileManager.default.fileExists(atPath: out + "/seg-00000.mp4"), "no segment sealed within 60 s")
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let playlist = try String(contentsOfFile: out + "/index.m3u8", encoding: .utf8)
        #expect(playlist.hasSuffix("#EXT-X-ENDLIST\n"))
        let decode = try Probe.decodeErrors(out + "/index.m3u8", strict: true)
        #expect(decode.status == 0, "\(decode.stderr)")
        let manifest = try String(contentsOfFile: out + "/manifest.jsonl", encoding: .utf8)
        #expect(manifest.contains(#""type":"end""#) && manifest.contains(#""reason":"stopped""#))
    }
}
