import Foundation
import SealrecCrypto
import SealrecPipeline
import SealrecRoom
import Testing
import TestSupport

/// What the live upload is handed: every manifest line exactly as written, where it starts, and
/// what it names, each only once it is in the manifest.
@Suite struct SealerSinkTests {
    final class Collector: SealedEntrySink, @unchecked Sendable {
        let manifestPath: String
        let lock = NSLock()
        var entries: [SealedEntry] = []
        /// Lines handed over that were not yet in the manifest when the sink heard of them.
        var early: [Int] = []
        init(manifestPath: String) { self.manifestPath = manifestPath }
        func sealed(_ entry: SealedEntry) {
            let onDisk = FileManager.default.contents(atPath: manifestPath).map(Array.init) ?? []
            lock.withLock {
                if onDisk.count < entry.offset + entry.line.count || Array(onDisk[entry.offset..<entry.offset + entry.line.count]) != entry.line {
                    early.append(entries.count)
                }
                entries.append(entry)
            }
        }
    }

    @Test func everyEntryIsHandedOverAsWrittenAfterItIsInTheManifest() throws {
        var config = RoomConfig()
        config.cameras[0].width = 160
        config.cameras[0].height = 120
        config.video.preset = "ultrafast"
        let folder = Scratch("sealer-sink").path + "/session"
        let collector = Collector(manifestPath: folder + "/manifest.jsonl")
        let sealer = Sealer(folder: folder, key: Recording.key, metadata: SessionMetadata(sessionID: "test-sink"), config: config,
                            sink: collector)
        let session = try RecordingSession(config: config, folder: folder, options: .init(fast: true, durationSeconds: 9), observer: sealer)
        session.start()
        #expect(session.mark("handed over too"))
        let result = session.wait()
        #expect(result.failure == nil)

        let manifest = try #require(FileManager.default.contents(atPath: folder + "/manifest.jsonl"))
        #expect(collector.early.isEmpty, "entries handed over before they were written: \(collector.early)")
        // The lines, in order and end to end, are the manifest.
        #expect(collector.entries.flatMap(\.line) == Array(manifest))
        var offset = 0
        for entry in collector.entries {
            #expect(entry.offset == offset)
            #expect(entry.line.last == 0x0A && entry.line.dropLast().allSatisfy { $0 != 0x0A })
            offset += entry.line.count
        }
        #expect(collector.entries.first?.kind == .session(room: config.room.id, session: "test-sink"))
        #expect(collector.entries.last?.kind == .end)
        #expect(collector.entries.contains { $0.kind == .event && String(decoding: $0.line, as: UTF8.self).contains("handed over too") })
        let segments = collector.entries.compactMap { entry -> (String, Int64, Digest)? in
            if case let .segment(path, length, sha256) = entry.kind { return (path, length, sha256) }
            return nil
        }
        #expect(segments.count == result.segments.count && segments.count >= 3)
        for (path, length, sha256) in segments {
            let bytes = try #require(FileManager.default.contents(atPath: path), "\(path)")
            #expect(Int64(bytes.count) == length && SHA256Hasher.hash(Array(bytes)) == sha256, "\(path)")
        }
    }
}
