import Foundation
import SealrecCrypto
import SealrecFormat
import Testing
@testable import SealrecSeal

@Suite struct ManifestWriterTests {
    @Test func linesHaveTheDocumentedShape() throws {
        let session = try SealedSession()
        let lines = try session.manifest.lines()
        #expect(lines.count == 6)
        let fingerprint = session.fixture.key.publicKey.fingerprint
        #expect(lines[0].hasPrefix(#"{"seq":0,"type":"session","prev":""# + String(repeating: "0", count: 64)
            + #"","session_id":"3f1c2a9e-session","room_id":"room-4","case_number":"2026-KR-0042","participants":["Interviewer A","Witness B"],"devices":[{"kind":"video","name":"Cam 1"},{"kind":"audio","name":"Ceiling mic"}],"encoder":{"video_codec":"h264","fps":25,"audio":{"codec":"aac","rate":48000}},"software":"sealrec 0.1.0","key_fingerprint":""#
            + fingerprint + #"","utc_anchor":"2026-09-21T14:13:20.250000Z","ntp_synchronized":true,"segment_duration_us":2000000,"frame_duration_us":40000,"sig":""#))
        let segment = try Regex(#"^\{"seq":2,"type":"segment","prev":"[0-9a-f]{64}","file":"seg-00001\.mp4","bytes":[0-9]+,"sha256":"[0-9a-f]{64}","start_us":2000000,"duration_us":2000000,"wall_start":"2026-09-21T14:13:22\.250000Z","sig":"[A-Za-z0-9+/]{86}=="\}$"#)
        #expect(lines[2].wholeMatch(of: segment) != nil, "\(lines[2])")
        #expect(lines[5].hasPrefix(#"{"seq":5,"type":"end","prev":""#))
        #expect(lines[5].contains(#","reason":"stopped","last_good_us":8000000,"duration_us":8000000,"segments":4,"sig":""#))
        for (index, line) in lines.enumerated() {
            // Signed body is exactly the line minus its sig member, and chains to the next line.
            let body = Array(ManifestFile.body(of: line).utf8)
            let signature = Data(base64Encoded: String(line.split(separator: "\"").dropLast().last!))!
            #expect(session.fixture.key.publicKey.verify(signature: Array(signature), message: body))
            if index + 1 < lines.count {
                #expect(lines[index + 1].contains(#""prev":"\#(SHA256Hasher.hash(body).hex)""#))
            }
        }
    }

    /// wall_start is derived from utc_anchor + start_us (MANIFEST.md R34), whatever clock the caller
    /// read, also after a resume: so a verifier can check it to the microsecond.
    @Test func wallStartIsTheAnchorPlusTheStart() throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        let header = MediaFixture.header()
        let writer = try ManifestWriter(folder: scratch.url, key: fixture.key, session: header)
        func append(_ writer: ManifestWriter, _ index: Int, callerClock: Date) throws {
            let name = MediaFixture.segmentNames[index]
            let bytes = try Data(contentsOf: fixture.directory.appendingPathComponent(name))
            try bytes.write(to: scratch.url.appendingPathComponent(name))
            try writer.appendSegment(SegmentRecord(fileName: name, byteLength: Int64(bytes.count), sha256: SHA256Hasher.hash(Array(bytes)),
                                                   startMicros: Int64(index) * MediaFixture.segmentMicros,
                                                   durationMicros: MediaFixture.segmentMicros, wallClockStart: callerClock))
        }
        try append(writer, 0, callerClock: header.utcAnchor.addingTimeInterval(0.000_000_4))  // float rounding
        try append(writer, 1, callerClock: header.utcAnchor.addingTimeInterval(3600))  // a wall clock that jumped
        let resumed = try ManifestWriter.resume(folder: scratch.url, key: fixture.key)
        try append(resumed, 2, callerClock: Date(timeIntervalSince1970: 0))
        try resumed.close(reason: .stopped, lastGoodMicros: resumed.timelineEndMicros)
        let text = try String(contentsOf: scratch.file(SessionFiles.manifest), encoding: .utf8)
        for (index, expected) in ["2026-09-21T14:13:20.250000Z", "2026-09-21T14:13:22.250000Z", "2026-09-21T14:13:24.250000Z"].enumerated() {
            #expect(text.contains(#""start_us":\#(Int64(index) * MediaFixture.segmentMicros),"duration_us":2000000,"wall_start":"\#(expected)""#), "\(text)")
        }
        #expect(Verifier.verify(folder: scratch.url, trusted: [fixture.key.publicKey]).verdict == .verified)
    }

    @Test func nonASCIITextIsEscapedAndReadBack() throws {
        var header = MediaFixture.header(participants: ["Zoë Ünal", "李雷", "😀"])
        header.caseNumber = "Az. 4 \"B\"/2026\\x"
        let session = try SealedSession(header: header)
        let data = try session.manifest.bytes()
        #expect(data.allSatisfy { $0 < 0x80 })
        #expect(String(decoding: data, as: UTF8.self).contains(#""participants":["Zo\u00eb \u00dcnal","\u674e\u96f7","\ud83d\ude00"]"#))
        let report = session.verify()
        #expect(report.verdict == .verified)
        #expect(report.summary.caseNumber == "Az. 4 \"B\"/2026\\x")
    }

    @Test func publicKeyIsPlacedForReviewers() throws {
        let session = try SealedSession()
        let placed = try RoomPublicKey.load(from: session.folder.appendingPathComponent(SessionFiles.publicKey))
        #expect(placed == session.fixture.key.publicKey)
    }

    @Test func refusesExistingManifestAndForeignPublicKey() throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        _ = try ManifestWriter(folder: scratch.url, key: fixture.key, session: MediaFixture.header())
        #expect {
            _ = try ManifestWriter(folder: scratch.url, key: fixture.key, session: MediaFixture.header())
        } throws: { error in
            guard case .file(let fileError) = error as? ManifestError else { return false }
            return fileError.alreadyExists && (fileError.path ?? "").hasSuffix(SessionFiles.manifest)
        }
        let other = try Scratch()
        try fixture.otherKey.publicKey.write(to: other.file(SessionFiles.publicKey))
        #expect {
            _ = try ManifestWriter(folder: other.url, key: fixture.key, session: MediaFixture.header())
        } throws: { error in
            if case .publicKeyMismatch = error as? ManifestError { return true }
            return false
        }
        #expect(!FileManager.default.fileExists(atPath: other.file(SessionFiles.manifest).path))
    }

    @Test(arguments: ["../escape.mp4", "sub/seg.mp4", ".hidden.mp4", "", "manifest.jsonl", "seg 1.mp4", "séance.mp4"])
    func rejectsUnsafeSegmentNames(name: String) throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        let writer = try ManifestWriter(folder: scratch.url, key: fixture.key, session: MediaFixture.header())
        let before = try ManifestFile(in: scratch.url).bytes()
        #expect {
            try writer.appendSegment(SegmentRecord(fileName: name, byteLength: 1, sha256: SHA256Hasher.hash([1]),
                                                   startMicros: 0, durationMicros: 1, wallClockStart: Date()))
        } throws: { error in
            if case .invalidRecord(let reason) = error as? ManifestError { return reason.contains("\"\(name)\"") }
            return false
        }
        #expect(try ManifestFile(in: scratch.url).bytes() == before)
        #expect(writer.nextSeq == 1)
    }

    @Test func refusesValuesTheVerifierWouldReject() throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        var header = MediaFixture.header()
        header.encoder = [JSONMember("fps", .number("25fps"))]
        #expect {
            _ = try ManifestWriter(folder: scratch.url, key: fixture.key, session: header)
        } throws: { error in
            if case .invalidRecord(let reason) = error as? ManifestError { return reason.contains("session entry") }
            return false
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        header.encoder = [JSONMember("fps", .number("29.97"))]
        let writer = try ManifestWriter(folder: scratch.url, key: fixture.key, session: header)
        #expect(writer.nextSeq == 1)
    }

    @Test func refusesEntriesAfterClose() throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        let writer = try ManifestWriter(folder: scratch.url, key: fixture.key, session: MediaFixture.header())
        try writer.close(reason: .stopped, lastGoodMicros: 0)
        #expect(writer.isClosed)
        #expect {
            try writer.appendEvent(EventRecord(kind: .marker, atMicros: 0, source: "test", details: "late"))
        } throws: { error in
            if case .closed = error as? ManifestError { return true }
            return false
        }
        #expect(try ManifestFile(in: scratch.url).lines().count == 2)
    }
}

@Suite struct ManifestResumeTests {
    @Test func resumeCutsTornLineAndContinuesTheChain() throws {
        let session = try SealedSession(close: false)
        let lines = try session.manifest.lines()
        let torn = Array(#"{"seq":5,"type":"segment","prev":"00"#.utf8)
        try session.manifest.write(bytes: try session.manifest.bytes() + torn)

        let writer = try ManifestWriter.resume(folder: session.folder, key: session.fixture.key)
        #expect(writer.discardedPartialBytes == torn.count)
        #expect(writer.nextSeq == 5)
        #expect(writer.segmentCount == 4)
        #expect(writer.timelineEndMicros == 8_000_000)
        #expect(writer.previousHash == SHA256Hasher.hash(Array(ManifestFile.body(of: lines[4]).utf8)))
        try writer.appendEvent(EventRecord(kind: .other, atMicros: 8_000_000, source: "sealrec", details: "resumed after crash"))
        try writer.close(reason: .interrupted, lastGoodMicros: 7_960_000)

        let report = session.verify()
        #expect(report.verdict == .verified, Comment(rawValue: report.text()))
        #expect(report.summary.endReason == .interrupted)
        #expect(try session.manifest.lines().count == 7)
    }

    @Test func resumeOfCleanManifestDiscardsNothing() throws {
        let session = try SealedSession(close: false)
        let writer = try ManifestWriter.resume(folder: session.folder, key: session.fixture.key)
        #expect(writer.discardedPartialBytes == 0)
        #expect(writer.nextSeq == 5)
    }

    @Test func resumeRefusesClosedManifest() throws {
        let session = try SealedSession()
        #expect {
            _ = try ManifestWriter.resume(folder: session.folder, key: session.fixture.key)
        } throws: { error in
            if case .closed = error as? ManifestError { return true }
            return false
        }
    }

    @Test func resumeRefusesBrokenLineOrForeignKey() throws {
        let session = try SealedSession(close: false)
        var lines = try session.manifest.lines()
        lines[2] = lines[2].replacingOccurrences(of: #""start_us":2000000"#, with: #""start_us":2000001"#)
        try session.manifest.write(lines)
        #expect {
            _ = try ManifestWriter.resume(folder: session.folder, key: session.fixture.key)
        } throws: { error in
            guard case .unusableLine(_, let line, let reason) = error as? ManifestError else { return false }
            return line == 3 && reason.contains("signature")
        }
        let clean = try SealedSession(close: false)
        #expect {
            _ = try ManifestWriter.resume(folder: clean.folder, key: clean.fixture.otherKey)
        } throws: { error in
            guard case .unusableLine(_, let line, _) = error as? ManifestError else { return false }
            return line == 1
        }
    }

    @Test func resumeWithOnlyATornSessionLineFails() throws {
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        try Data(#"{"seq":0,"type":"sess"#.utf8).write(to: scratch.file(SessionFiles.manifest))
        #expect {
            _ = try ManifestWriter.resume(folder: scratch.url, key: fixture.key)
        } throws: { error in
            if case .noSessionEntry = error as? ManifestError { return true }
            return false
        }
    }
}

/// Markers come from people and are bounded; the entries that prove the media never are.
@Suite struct ManifestBudgetTests {
    @Test func theWriterRefusesMarkersLongBeforeTheVerifiersLimitButNeverSegments() throws {
        // The default budget leaves three quarters of what the verifier reads to the other entries.
        #expect(ManifestFormat.markerBudgetBytes * 4 <= ManifestFormat.maxManifestBytes)
        #expect(ManifestFormat.maxMarkerTextBytes * 100 < SignedLine.maxLineBytes)
        // The count is what the line will hold.
        for text in ["plain", "quote \" and \\", "Zoë", "李雷", "😀", "a\u{301}\u{301}", "tab\tnew\nline\u{7f}", ""] {
            #expect(ManifestFormat.escapedByteCount(text) == JSONValue.string(text).asciiBytes.count - 2, "\(text)")
        }
        #expect(ManifestFormat.escapedByteCount(String(repeating: "é", count: 1000), limit: 10) == 11)
        let fixture = try MediaFixture.get()
        let scratch = try Scratch()
        let writer = try ManifestWriter(folder: scratch.url, key: fixture.key, session: MediaFixture.header())
        writer.markerBudgetBytes = 64 * 1024  // small, so the test writes 64 KiB, not 64 MiB
        let text = String(repeating: "n", count: ManifestFormat.maxMarkerTextBytes)
        var accepted = 0
        var refusal: ManifestError?
        for i in 0..<200 {
            do { try writer.appendEvent(EventRecord(kind: .marker, atMicros: Int64(i), source: "operator", details: text)); accepted += 1 } catch {
                refusal = error
                break
            }
        }
        #expect(accepted > 0 && accepted < 200)
        #expect(writer.byteCount >= writer.markerBudgetBytes && writer.byteCount < writer.markerBudgetBytes + 4096)
        guard case .invalidRecord(let why) = refusal else { Issue.record("\(String(describing: refusal))"); return }
        #expect(why.hasPrefix("marker refused: the manifest holds"), "\(why)")
        // A marker too long in the manifest (combining accents: 6 bytes each) is refused at any size.
        #expect(throws: ManifestError.self) {
            try writer.appendEvent(EventRecord(kind: .marker, atMicros: 1, source: "operator", details: "a" + String(repeating: "\u{301}", count: 400)))
        }
        // Segment, event and end entries still go in, and the manifest verifies.
        try writer.appendEvent(EventRecord(kind: .other, atMicros: 1, source: "mic", details: "still recorded"))
        for (index, name) in MediaFixture.segmentNames.enumerated() {
            let bytes = try Data(contentsOf: fixture.directory.appendingPathComponent(name))
            try bytes.write(to: scratch.url.appendingPathComponent(name))
            let start = Int64(index) * MediaFixture.segmentMicros
            try writer.appendSegment(SegmentRecord(fileName: name, byteLength: Int64(bytes.count), sha256: SHA256Hasher.hash(Array(bytes)),
                                                   startMicros: start, durationMicros: MediaFixture.segmentMicros,
                                                   wallClockStart: MediaFixture.header().utcAnchor.addingTimeInterval(Double(start) / 1e6)))
        }
        try writer.close(reason: .stopped, lastGoodMicros: writer.timelineEndMicros)
        let size = try FileManager.default.attributesOfItem(atPath: scratch.file(SessionFiles.manifest).path)[.size] as? Int64
        #expect(size == writer.byteCount)
        #expect(Verifier.verify(folder: scratch.url, trusted: [fixture.key.publicKey]).verdict == .verified)
    }
}
