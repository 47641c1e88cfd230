import Foundation
import Testing
import TestSupport

/// Tampering with a recording sealrec made itself, checked by `sealrec verify` and by the
/// reviewer's shell script (sha256sum + openssl only), which must agree.
@Suite struct SealedRecordingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A sealed 10 s recording in 2 s segments (5 segments), made once.
    static let original: String = {
        let out = Scratch("sealed").path + "/session"
        let r = try! Run.sealrec(["record", "--duration", "10", "--out", out, "--fast", "--key", RecordCommandTests.keyDir + "/room.key",
                                  "--config", writeConfig()])
        precondition(r.status == 0, r.stderr + r.stdout)
        return out
    }()

    static func writeConfig() -> String {
        let path = Scratch("cfg").path + "/room.json"
        try! #"{"segmentSeconds": 2, "cameras": [{"width": 320, "height": 240}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func copy() throws -> String {
        let dest = Scratch("tamper").path + "/session"
        try FileManager.default.copyItem(atPath: Self.original, toPath: dest)
        return dest
    }

    private func check(_ folder: String) throws -> (swift: ProcessResult, byHand: ProcessResult) {
        let pub = RecordCommandTests.keyDir + "/room.pub.pem"
        return (try Run.sealrec(["verify", folder, "--trust", pub]),
                try Run.tool("/bin/bash", [Self.root + "/Scripts/verify-by-hand", folder, pub]))
    }

    @Test func untouchedRecordingVerifiesBothWays() throws {
        let (swift, byHand) = try check(Self.original)
        #expect(swift.status == 0, "\(swift.stdout)")
        #expect(byHand.status == 0 && byHand.stdout.contains("OK"), "\(byHand.stdout)\(byHand.stderr)")
    }

    @Test(arguments: ["flip", "remove", "swap", "truncate", "extra"])
    func tamperedRecordingFailsBothWays(_ how: String) throws {
        let dir = try copy()
        let seg = { (i: Int) in dir + String(format: "/seg-%05d.mp4", i) }
        switch how {
        case "flip":
            var d = try Data(contentsOf: URL(fileURLWithPath: seg(2)))
            d[d.count / 2] ^= 0x01
            try d.write(to: URL(fileURLWithPath: seg(2)))
        case "remove": try FileManager.default.removeItem(atPath: seg(3))
        case "swap":
            try FileManager.default.moveItem(atPath: seg(1), toPath: dir + "/tmp")
            try FileManager.default.moveItem(atPath: seg(2), toPath: seg(1))
            try FileManager.default.moveItem(atPath: dir + "/tmp", toPath: seg(2))
        case "truncate":
            let d = try Data(contentsOf: URL(fileURLWithPath: seg(4)))
            try d.prefix(d.count - 100).write(to: URL(fileURLWithPath: seg(4)))
        default:
            try FileManager.default.copyItem(atPath: seg(0), toPath: dir + "/seg-00099.mp4")
        }
        let (swift, byHand) = try check(dir)
        #expect(swift.status == 1, "\(how): \(swift.stdout)")
        let named = how == "extra" ? "seg-00099.mp4" : how == "remove" ? "seg-00003.mp4" : how == "truncate" ? "seg-00004.mp4" : how == "flip" ? "seg-00002.mp4" : "seg-00001.mp4"
        #expect(swift.stdout.contains(named), "\(how): \(swift.stdout)")
        #expect(byHand.status != 0 && byHand.stdout.contains("FAIL"), "\(how): \(byHand.stdout)")
    }
}

/// The playlist is not sealed, so both checkers hold it against the manifest (case 4 of issue 15):
/// removing a segment from it must not leave a session that verifies and plays short.
@Suite struct PlaylistTamperTests {
    /// Header lines, then one block of tags + URI per segment, then the rest.
    private static func blocks(_ text: String) -> (header: [String], blocks: [[String]], footer: [String]) {
        var header: [String] = [], blocks: [[String]] = [], current: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line == "#EXT-X-ENDLIST" { continue }
            if blocks.isEmpty && current.isEmpty && !["#EXT-X-MAP", "#EXT-X-DISCONTINUITY"].contains(where: line.hasPrefix) {
                header.append(line)
                continue
            }
            current.append(line)
            if !line.hasPrefix("#") { blocks.append(current); current = [] }
        }
        return (header, blocks, current + (text.contains("#EXT-X-ENDLIST") ? ["#EXT-X-ENDLIST"] : []))
    }

    @Test(arguments: [
        ("removed", "does not play seg-00003.mp4"),
        ("reordered", "plays seg-00002.mp4 where the manifest has seg-00001.mp4"),
        ("added again", "plays seg-00000.mp4 again"),
        ("added unlisted", "plays seg-00099.mp4, which the manifest does not list"),
        ("re-timed", "#EXTINF gives 1.500000 s for seg-00002.mp4"),
        ("shortened byte range", "of seg-00001.mp4, which has"),
        ("map to another file", "the #EXT-X-MAP before seg-00001.mp4 points at seg-00000.mp4"),
        ("end mark removed", "has no #EXT-X-ENDLIST"),
        ("start offset", "#EXT-X-START:TIME-OFFSET=4.0 is not a line the recorder writes"),
    ])
    func tamperedPlaylistFailsBothWays(how: String, expected: String) throws {
        let dir = Scratch("playlist").path + "/session"
        try FileManager.default.copyItem(atPath: SealedRecordingTests.original, toPath: dir)
        let path = dir + "/index.m3u8"
        var (header, blocks, footer) = Self.blocks(try String(contentsOfFile: path, encoding: .utf8))
        #expect(blocks.count == 5 && footer == ["#EXT-X-ENDLIST"], "\(blocks)")
        switch how {
        case "removed": blocks.remove(at: 3)
        case "reordered": blocks.swapAt(1, 2)
        case "added again": blocks.append(blocks[0])
        case "added unlisted": blocks.append(blocks[0].map { $0.replacingOccurrences(of: "seg-00000", with: "seg-00099") })
        case "re-timed": blocks[2] = blocks[2].map { $0.hasPrefix("#EXTINF:") ? "#EXTINF:1.500000," : $0 }
        case "shortened byte range":
            blocks[1] = blocks[1].map { line in
                guard line.hasPrefix("#EXT-X-BYTERANGE:"), let at = line.firstIndex(of: "@"),
                      let length = Int(line[line.index(line.startIndex, offsetBy: 17)..<at]) else { return line }
                return "#EXT-X-BYTERANGE:\(length / 2)" + line[at...]
            }
        case "map to another file":
            blocks[1] = blocks[1].map { $0.hasPrefix("#EXT-X-MAP:") ? $0.replacingOccurrences(of: "seg-00001", with: "seg-00000") : $0 }
        case "end mark removed": footer = []
        default: header.append("#EXT-X-START:TIME-OFFSET=4.0")
        }
        try ((header + blocks.flatMap { $0 } + footer).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let pub = RecordCommandTests.keyDir + "/room.pub.pem"
        let swift = try Run.sealrec(["verify", dir, "--trust", pub])
        #expect(swift.status == 1 && swift.stdout.contains("index.m3u8: ") && swift.stdout.contains(expected), "\(how): \(swift.stdout)")
        let byHand = try Run.tool("/bin/bash", [SealedRecordingTests.root + "/Scripts/verify-by-hand", dir, pub])
        #expect(byHand.status == 1 && byHand.stdout.contains("FAIL: index.m3u8: ") && byHand.stdout.contains(expected), "\(how): \(byHand.stdout)")
    }
}

/// Writes that fail (here the per-file size limit, as a full disk would): nothing already
/// recorded is given up, and the record never claims more than the disk holds.
@Suite struct WriteFailureTests {
    /// A segment write fails mid-session: the segments being written keep their complete
    /// fragments, the session ends as `error` and verifies, every file decodes.
    @Test(arguments: [40, 100])
    func aSegmentWriteFailureKeepsWhatWasWritten(limitKiB: Int) throws {
        let dir = Scratch("efbig").path
        let config = dir + "/room.json"
        try #"{"segmentSeconds": 4, "cameras": [{"width": 320, "height": 240}], "video": {"preset": "ultrafast"}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let out = dir + "/session"
        let r = try Run.tool("/bin/bash", ["-c", "ulimit -f \(limitKiB); trap '' XFSZ; exec \"$0\" record --config \"$1\" --key \"$2\" --duration 10 --fast --out \"$3\"",
                                           Run.sealrecPath, config, RecordCommandTests.keyDir + "/room.key", out])
        #expect(r.status == 1 && r.stderr.contains("File too large"), "\(r.stderr)")
        let v = try Run.sealrec(["verify", out, "--trust", RecordCommandTests.keyDir + "/room.pub.pem"])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(v.stdout.contains("end reason: error"), "\(v.stdout)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        let segments = names.filter { $0.hasSuffix(".mp4") }.sorted()
        #expect(!segments.isEmpty && !names.contains { $0.hasSuffix(".partial") }, "\(names)")
        for name in segments {
            let decode = try Probe.decodeErrors(out + "/" + name)
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(name): \(decode.stderr)")
        }
        // What the disk accepted is kept: the segment that hit the limit lost at most its last,
        // incomplete fragment (a quarter second; 12 KiB is far more than one at 320x240). How much
        // *time* that is varies: with --fast under load the sound runs ahead of the pictures.
        let sizes = try segments.map { try #require(try FileManager.default.attributesOfItem(atPath: out + "/" + $0)[.size] as? Int) }
        let limit = limitKiB * 1024
        #expect(sizes.max()! > limit - 12 * 1024 && sizes.max()! <= limit, "segment sizes \(sizes), limit \(limit)")
        // The end entry claims exactly the media the segments hold.
        let end = try #require(try String(contentsOfFile: out + "/manifest.jsonl", encoding: .utf8).split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(end.utf8)) as? [String: Any])
        let duration = try #require(object["duration_us"] as? Int)
        #expect(object["last_good_us"] as? Int == duration && duration > 0, "\(end)")
        // Where the last segment's pictures end; its sound, when the failure left it only sound
        // (the sound ran ahead into a segment the pictures had not reached).
        let packets = try Probe.packets(out + "/" + segments.last!)
        let lastEnd = packets.filter { $0.stream == 0 }.map(\.end).max() ?? packets.map(\.end).max() ?? 0
        #expect(abs(lastEnd - Double(duration) / 1e6) < 0.001, "media ends at \(lastEnd) s, the record says \(duration) µs")
    }

    @Test func aFailedLineIsCutBackOff() throws {
        let folder = Scratch("fsize").path
        for i in 0..<30 { #expect(FileManager.default.createFile(atPath: folder + String(format: "/seg-%05d.mp4", i), contents: Data(repeating: UInt8(i), count: 100))) }
        // 4 KiB per file for this process (SIGXFSZ ignored, so the write fails with EFBIG): the
        // manifest reaches it part-way through a line.
        let r = try Run.tool("/bin/bash", ["-c", "ulimit -f 4; trap '' XFSZ; exec \"$0\" seal-folder \"$1\" --key \"$2\"",
                                           Run.sealrecPath, folder, RecordCommandTests.keyDir + "/room.key"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("manifest.jsonl: write failed: File too large"), "\(r.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.jsonl"))
        #expect(bytes.count > 1000 && bytes.count < 4096 && bytes.last == 0x0A, "\(bytes.count) bytes")
        // Whole, signed, chained lines, only not closed: the verifier finds nothing torn.
        let v = try Run.sealrec(["verify", folder, "--trust", RecordCommandTests.keyDir + "/room.pub.pem"])
        #expect(v.stdout.contains("no end entry"), "\(v.stdout)")
        #expect(!v.stdout.contains("incomplete last line") && !v.stdout.contains("canonical") && !v.stdout.contains("prev"), "\(v.stdout)")
    }
}
