import Foundation
import SealrecCrypto
@testable import SealrecStore
import Testing
import TestSupport

/// A folder store someone else filled: links, FIFOs, objects longer than the manifest states and
/// names with control characters are refused, each with an error naming the object, and nothing is
/// read past its bound.
@Suite struct HostileStoreTests {
    static let limits = SessionFetcher.Limits(manifestBytes: 256 << 20, entryBytes: (1 << 20) + 1, keyBytes: 64 * 1024,
                                              otherBytes: 256 << 20)

    private func fetch(_ fixture: SessionFixture) throws(StoreError) -> (SessionFetcher.Summary, String) {
        let out = fixture.scratch.file("out-\(UUID().uuidString.prefix(6))")
        try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        return (try SessionFetcher.fetch(from: FolderStore(root: fixture.folder), into: out, limits: Self.limits), out)
    }

    private func expectUnsafe(_ fixture: SessionFixture, naming name: String, saying text: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try fetch(fixture)
            Issue.record("the fetch was not refused", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == "unsafe_object", "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(name) && error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func anUntouchedSessionIsFetchedWhole() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 10_000)
        defer { fixture.remove() }
        let (summary, out) = try fetch(fixture)
        #expect(summary.files == 5)  // 3 segments, the manifest, the public key
        #expect(FileManager.default.contents(atPath: out + "/seg-00002.mp4") == FileManager.default.contents(atPath: fixture.folder + "/seg-00002.mp4"))
    }

    @Test func aSegmentLinkedToDevZeroIsRefusedAtOnce() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 10_000)
        defer { fixture.remove() }
        let segment = fixture.folder + "/seg-00001.mp4"
        try FileManager.default.removeItem(atPath: segment)
        try FileManager.default.createSymbolicLink(atPath: segment, withDestinationPath: "/dev/zero")
        let started = Date()
        expectUnsafe(fixture, naming: "seg-00001.mp4", saying: "symbolic link")
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aFIFOOrADeviceInTheStoreIsRefusedWithoutWaiting() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 10_000)
        defer { fixture.remove() }
        let segment = fixture.folder + "/seg-00002.mp4"
        try FileManager.default.removeItem(atPath: segment)
        #expect(mkfifo(segment, 0o644) == 0)
        expectUnsafe(fixture, naming: "seg-00002.mp4", saying: "a FIFO")
    }

    @Test func aLinkedFolderOnTheWayIsNotFollowed() throws {
        let fixture = try SessionFixture(segments: 2, bytesEach: 10_000)
        defer { fixture.remove() }
        // ROOM/SESSION as a link to a session folder elsewhere: the store must not read through it.
        let root = fixture.scratch.file("store")
        try FileManager.default.createDirectory(atPath: root + "/room", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/room/s1", withDestinationPath: fixture.folder)
        let store = FolderStore(root: root)
        do {
            _ = try store.get(key: "room/s1/seg-00000.mp4", to: fixture.scratch.file("got"), maxBytes: 1 << 20)
            Issue.record("read through a linked folder")
        } catch {
            #expect(error.kind == "unsafe_object" && error.description.contains("room/s1"), "\(error)")
        }
    }

    @Test func listingDoesNotWalkIntoLinkedFolders() throws {
        let scratch = Scratch("list-links")
        defer { scratch.remove() }
        let root = scratch.file("store")
        try FileManager.default.createDirectory(atPath: root + "/room/s1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.file("elsewhere"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: scratch.file("elsewhere/secret.bin"), contents: Data([1]))
        FileManager.default.createFile(atPath: root + "/room/s1/seg-00000.mp4", contents: Data([2]))
        try FileManager.default.createSymbolicLink(atPath: root + "/room/s2", withDestinationPath: scratch.file("elsewhere"))
        try FileManager.default.createSymbolicLink(atPath: root + "/room/s1/loop", withDestinationPath: root + "/room")
        #expect(try FolderStore(root: root).list(prefix: "") == ["room/s1/seg-00000.mp4"])
    }

    @Test func aSegmentLongerThanItsManifestSaysStopsOneBytePastThatLength() throws {
        let fixture = try SessionFixture(segments: 3, bytesEach: 10_000)
        defer { fixture.remove() }
        let segment = fixture.folder + "/seg-00001.mp4"
        let stated = try #require(FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 7, count: 5 << 20))
        try handle.close()
        let out = fixture.scratch.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        do {
            _ = try SessionFetcher.fetch(from: FolderStore(root: fixture.folder), into: out, limits: Self.limits)
            Issue.record("an overlong segment was fetched")
        } catch {
            #expect(error.kind == "unsafe_object" && error.description.contains("seg-00001.mp4")
                    && error.description.contains("\(stated) bytes"), "\(error)")
        }
        // Nothing past the stated length was copied.
        let copied = (try? FileManager.default.attributesOfItem(atPath: out + "/seg-00001.mp4")[.size] as? Int) ?? 0
        #expect(copied <= stated)
    }

    @Test func anOversizedManifestEntryOrKeyIsNotRead() throws {
        let fixture = try SessionFixture(segments: 1, bytesEach: 1_000)
        defer { fixture.remove() }
        let key = fixture.folder + "/room.pub.pem"
        try FileManager.default.removeItem(atPath: key)
        FileManager.default.createFile(atPath: key, contents: Data(repeating: 65, count: 100_000))
        expectUnsafe(fixture, naming: "room.pub.pem", saying: "65536 bytes")
    }

    @Test func aNameWithControlCharactersIsRefusedBeforeAnythingIsCopied() throws {
        let fixture = try SessionFixture(segments: 2, bytesEach: 1_000)
        defer { fixture.remove() }
        FileManager.default.createFile(atPath: fixture.folder + "/seg-00001.mp4\r\u{1b}[2K\u{1b}[32mVERIFIED", contents: Data([1]))
        let out = fixture.scratch.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(throws: StoreError.self) { try SessionFetcher.fetch(from: FolderStore(root: fixture.folder), into: out, limits: Self.limits) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func aManifestTheCallerRefusesStopsTheFetchWithNothingCopied() throws {
        let fixture = try SessionFixture(segments: 2, bytesEach: 1_000)
        defer { fixture.remove() }
        let out = fixture.scratch.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var seen: Data?
        do {
            _ = try SessionFetcher.fetch(from: FolderStore(root: fixture.folder), into: out, limits: Self.limits) { manifest in
                seen = manifest
                return "line 2: signature does not verify"
            }
            Issue.record("a refused manifest was fetched")
        } catch {
            #expect(error.kind == "unsafe_object" && error.description.contains("manifest.jsonl")
                    && error.description.contains("line 2: signature does not verify"), "\(error)")
        }
        #expect(seen == FileManager.default.contents(atPath: fixture.folder + "/manifest.jsonl"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func aManifestStatingMoreThanTheFreeSpaceIsRefusedWithTheFigures() throws {
        let fixture = try SessionFixture(segments: 2, bytesEach: 1_000)
        defer { fixture.remove() }
        let manifest = fixture.folder + "/manifest.jsonl"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        let huge = "1000000000000000000"  // 10^18 bytes: more than any filesystem here has free
        let forged = text.replacingOccurrences(of: #""bytes":[0-9]+"#, with: "\"bytes\":" + huge, options: .regularExpression)
        #expect(forged != text)
        try FileManager.default.removeItem(atPath: manifest)
        try forged.write(toFile: manifest, atomically: false, encoding: .utf8)
        let out = fixture.scratch.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        do {
            _ = try SessionFetcher.fetch(from: FolderStore(root: fixture.folder), into: out, limits: Self.limits)
            Issue.record("a download larger than the disk was started")
        } catch {
            #expect(error.kind == "local_file" && error.description.contains("the manifest states 2000000000000000000 bytes of segments")
                    && error.description.contains("bytes free"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["manifest.jsonl"])
    }

    @Test func manyObjectsTheManifestDoesNotListAreRefused() throws {
        let fixture = try SessionFixture(segments: 1, bytesEach: 1_000)
        defer { fixture.remove() }
        for i in 0...SessionFetcher.maxUnlistedObjects {
            FileManager.default.createFile(atPath: fixture.folder + "/stray-\(i).bin", contents: Data([1]))
        }
        expectUnsafe(fixture, naming: fixture.folder, saying: "objects the manifest does not list")
    }
}
