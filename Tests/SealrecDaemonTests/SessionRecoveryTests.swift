import Foundation
import Testing
import SealrecCrypto
import SealrecDaemon
import SealrecPipeline
import TestSupport

/// The crash states the 20-kill test can only hit by chance, made on purpose: a real sealed
/// session is cut back to what the disk would hold if the daemon had died at that moment, then
/// recovered, verified and checked against the original bytes.
@Suite struct SessionRecoveryTests {
    /// A sealed 5 s session (segments of 2 s: seg-00000..00002) and its key.
    struct Recorded {
        let harness: DaemonHarness
        let folder: String
        let original: [String: String]  // segment file -> sha256 as recorded
        var key: RoomKey { get throws { try RoomKey.load(from: URL(fileURLWithPath: harness.keyDir + "/room.key")) } }

        init() throws {
            harness = try DaemonHarness()
            folder = harness.dir.file("session")
            let r = try Run.sealrec(["record", "--config", harness.config, "--key", harness.keyDir + "/room.key",
                                     "--duration", "5", "--fast", "--out", folder])
            try #require(r.status == 0, "\(r.stderr)")
            var hashes: [String: String] = [:]
            for line in try Recorded.lines(folder) where line["type"] as? String == "segment" {
                hashes[line["file"] as! String] = line["sha256"] as? String
            }
            original = hashes
            try #require(original.keys.sorted() == ["seg-00000.mp4", "seg-00001.mp4", "seg-00002.mp4"])
        }

        func manifestLines() throws -> [[String: Any]] { try Recorded.lines(folder) }

        static func lines(_ folder: String) throws -> [[String: Any]] {
            try String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }

        /// Drops manifest lines from the end through the entry of `file`: the state of a crash
        /// after the segment was renamed whole but before its entry was written.
        func unseal(from file: String) throws {
            let text = try String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8)
            var lines = text.split(separator: "\n").map(String.init)
            guard let at = lines.firstIndex(where: { $0.contains("\"file\":\"\(file)\"") }) else { throw ControlError("no entry for \(file)") }
            lines.removeSubrange(at...)
            try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/manifest.jsonl", atomically: true, encoding: .utf8)
        }

        /// Turns a whole segment back into the `.partial` it was while being written, `length` bytes long.
        func makePartial(_ file: String, length: Int) throws {
            let path = folder + "/" + file
            try #require(truncate(path, off_t(length)) == 0)
            try FileManager.default.moveItem(atPath: path, toPath: path + ".partial")
        }

        func sha256(_ file: String) throws -> String {
            let r = try Run.tool("sha256sum", [folder + "/" + file])
            return String(r.stdout.prefix(64))
        }

        func recoverAndVerify() throws -> SessionRecovery.Outcome {
            #expect(SessionRecovery.isUnclosed(folder))
            let outcome = try SessionRecovery.recover(folder: folder, key: try key)
            #expect(!SessionRecovery.isUnclosed(folder))
            let v = try harness.verify(folder)
            #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
            let end = try #require(try manifestLines().last)
            #expect(end["type"] as? String == "end" && end["reason"] as? String == "interrupted", "\(end)")
            #expect((end["last_good_us"] as? Int).map(Int64.init) == outcome.lastGoodMicros)
            // Segments sealed before the crash are never rewritten.
            for file in ["seg-00000.mp4", "seg-00001.mp4"] where FileManager.default.fileExists(atPath: folder + "/" + file) {
                #expect(try sha256(file) == original[file], "\(file) changed")
            }
            return outcome
        }
    }

    @Test func aSegmentClosedButNotYetInTheManifestIsSealedAsItIs() throws {
        let r = try Recorded()
        try r.unseal(from: "seg-00002.mp4")
        let outcome = try r.recoverAndVerify()
        #expect(outcome.salvaged == ["seg-00002.mp4"])
        #expect(try r.sha256("seg-00002.mp4") == r.original["seg-00002.mp4"], "a whole segment is sealed byte for byte")
        // Nothing lost: the media runs to its end, 5 s.
        #expect(abs(Double(outcome.lastGoodMicros) / 1e6 - 5.0) < 0.05, "last good \(outcome.lastGoodMicros) µs")
    }

    @Test func aSegmentCutMidFragmentKeepsItsCompleteFragments() throws {
        let r = try Recorded()
        try r.unseal(from: "seg-00002.mp4")
        let whole = try FragmentScanner(path: r.folder + "/seg-00002.mp4")
        try #require(whole.completeFragments >= 2)
        // Cut halfway into the media data of the last fragment that holds pictures: that fragment is
        // incomplete, the ones before it whole.
        let path = r.folder + "/seg-00002.mp4"
        let boxes = Boxes.topLevel(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let lastPicture = try #require(try Probe.packets(path).filter { $0.stream == 0 }.map(\.pos).max())
        let lastData = try #require(boxes.first { $0.type == "mdat" && $0.offset <= lastPicture && lastPicture < $0.offset + $0.size })
        let cut = lastData.offset + lastData.size / 2
        try r.makePartial("seg-00002.mp4", length: cut)
        let outcome = try r.recoverAndVerify()
        #expect(outcome.salvaged == ["seg-00002.mp4"])
        let kept = try FragmentScanner(path: r.folder + "/seg-00002.mp4")
        #expect(kept.completeFragments < whole.completeFragments)
        #expect(kept.fileLength == kept.completeLength && kept.fileLength < cut)
        #expect(!FileManager.default.fileExists(atPath: r.folder + "/seg-00002.mp4.partial"))
        let decode = try Probe.decodeErrors(r.folder + "/seg-00002.mp4")
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
        // At most the last fragment (half a second) is lost.
        let lastGood = Double(outcome.lastGoodMicros) / 1e6
        #expect(lastGood > 4.0 && lastGood >= 5.0 - 0.6 && lastGood < 5.0, "last good \(lastGood) s")
    }

    @Test func aSegmentWithNoCompleteFragmentIsLeftOutAndTheSessionEndsBeforeIt() throws {
        let r = try Recorded()
        try r.unseal(from: "seg-00002.mp4")
        let initLength = try #require(try FragmentScanner(path: r.folder + "/seg-00002.mp4").initLength)
        try r.makePartial("seg-00002.mp4", length: initLength + 40)
        let outcome = try r.recoverAndVerify()
        #expect(outcome.salvaged.isEmpty)
        #expect(outcome.lastGoodMicros == 4_000_000)
        // Left as it was found: not listed, not renamed, not deleted.
        #expect(FileManager.default.fileExists(atPath: r.folder + "/seg-00002.mp4.partial"))
    }

    @Test func mediaLostBetweenTwoSalvagedSegmentsIsDeclaredAsAGap() throws {
        let r = try Recorded()
        try r.unseal(from: "seg-00001.mp4")
        let initLength = try #require(try FragmentScanner(path: r.folder + "/seg-00001.mp4").initLength)
        try r.makePartial("seg-00001.mp4", length: initLength)
        let outcome = try r.recoverAndVerify()
        #expect(outcome.salvaged == ["seg-00002.mp4"])
        let gap = try #require(try r.manifestLines().first { ($0["details"] as? String)?.contains("media lost in the crash") == true })
        // From where seg-00000 ends to where seg-00002 begins.
        #expect(gap["gap_start_us"] as? Int == 2_000_000 && gap["gap_duration_us"] as? Int == 2_000_000, "\(gap)")
        #expect(abs(Double(outcome.lastGoodMicros) / 1e6 - 5.0) < 0.05)
    }
}
