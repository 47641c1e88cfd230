import Foundation
import Testing
@testable import SealrecPipeline
import SealrecSystem

@Suite struct ConfigTests {
    @Test func emptyObjectIsTheDefaultRoom() throws {
        let c = try RoomConfig.parse(Data("{}".utf8))
        #expect(c == RoomConfig())
        #expect(c.cameras.count == 1 && c.cameras[0].width == 1280 && c.cameras[0].frameRate == 25)
        #expect(c.microphones.count == 1 && c.microphones[0].sampleRate == 48_000)
        #expect(c.segmentSeconds == 4)
    }

    @Test func examplesInDevicesParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Devices/rooms")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 2)
        for f in files { _ = try RoomConfig.load(path: dir.appendingPathComponent(f).path) }
    }

    /// `--config` names a file: a FIFO there must be an error at once, not a daemon that never starts.
    @Test func aFIFOOrAnOversizedFileAsConfigIsRefusedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealrec-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo.json", 0o600) == 0)
        #expect { try RoomConfig.load(path: dir + "/fifo.json") } throws: { "\($0)".contains("fifo.json") && "\($0)".contains("FIFO") }
        let big = dir + "/big.json"
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x20, count: Int(RoomConfig.maxFileBytes) + 1)))
        #expect { try RoomConfig.load(path: big) } throws: { "\($0)".contains("big.json") && "\($0)".contains("bytes") }
        try FileManager.default.createSymbolicLink(atPath: dir + "/linked.json", withDestinationPath: big)
        #expect { try RoomConfig.load(path: dir + "/linked.json") } throws: { "\($0)".contains("bytes") }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: big))
        #expect(try RoomConfig.load(path: dir + "/linked.json") == RoomConfig())
    }

    @Test(arguments: [
        (#"{"segmentSecond": 4}"#, "unknown key 'segmentSecond'"),
        (#"{"cameras": [{"name": "a", "widht": 10}]}"#, "unknown key 'cameras[0].widht'"),
        (#"{"segmentSeconds": 0}"#, "segmentSeconds must be 1 to 60"),
        (#"{"segmentSeconds": 61}"#, "segmentSeconds must be 1 to 60"),
        (#"{"segmentSeconds": "4"}"#, "segmentSeconds should be Int"),
        (#"{"cameras": [{"width": 641}]}"#, "size 641x720 must be even"),
        (#"{"cameras": [{"name": "x"}, {"name": "x"}]}"#, "used twice"),
        (#"{"cameras": [], "microphones": []}"#, "nothing to record"),
        (#"{"cameras": [{"source": "raw"}]}"#, "a raw source needs \"path\""),
        (#"{"cameras": [{"source": "webcam"}]}"#, "cameras[0].source: Cannot initialize SourceKind from invalid String value webcam"),
        (#"{"microphones": [{"channels": 9}]}"#, "channels must be 1 to 8"),
        (#"{"video": {"crf": 99}}"#, "video.crf must be 0 to 51"),
        (#"{"segmentSeconds": 4"#, "not valid JSON"),
        (#"{"composite": {"main": "nobody"}}"#, "composite.main is camera 'nobody', which is not configured (cameras: cam1)"),
        (#"{"composite": {"inset": "ghost"}}"#, "composite.inset is camera 'ghost', which is not configured"),
        (#"{"cameras": [{"name": "cam1"}, {"name": "cam2"}], "composite": {"inset": "cam2", "insetWidth": 1300}}"#, "composite layout does not fit"),
        (#"{"cameras": [{"name": "cam1"}, {"name": "cam2"}], "composite": {"inset": "cam2", "insetPosition": "middle"}}"#, "composite.insetPosition must be top-left, top-right, bottom-left or bottom-right, not 'middle'"),
        (#"{"composite": {"font": "/nonexistent/Comic.ttf"}}"#, "composite.font /nonexistent/Comic.ttf does not exist"),
        (#"{"composite": {"timeZone": "Mars/Olympus"}}"#, "composite.timeZone 'Mars/Olympus' is not a known time zone"),
        (#"{"composite": {"tracks": "everything"}}"#, "composite.tracks must be composite+cameras or composite, not 'everything'"),
        (#"{"composite": {"mian": "cam1"}}"#, "unknown key 'composite.mian'"),
    ])
    func invalidConfigsNameTheProblem(json: String, expected: String) {
        #expect {
            _ = try RoomConfig.parse(Data(json.utf8), origin: "room.json")
        } throws: { error in
            "\(error)".hasPrefix("room.json: ") && "\(error)".contains(expected)
        }
    }
}

@Suite struct QueueTests {
    @Test func offerDropsAndCountsWhenFull() {
        let q = BoundedQueue<Int>(capacity: 2)
        #expect(q.offer(1) && q.offer(2))
        #expect(!q.offer(3))
        #expect(q.dropped == 1)
        #expect(q.take() == 1)
        #expect(q.offer(4))
        #expect(q.take() == 2 && q.take() == 4)
    }

    @Test func theHoleIsReportedWithTheItemAfterIt() {
        // Items 3 and 4 are refused while 1 and 2 wait: the consumer must learn of the hole when it
        // reaches 5 (what follows the hole), not when the count went up.
        let q = BoundedQueue<Int>(capacity: 2)
        q.offer(1); q.offer(2); q.offer(3); q.offer(4)
        #expect(q.takeCounted()! == (1, 0))
        q.offer(5)
        #expect(q.takeCounted()! == (2, 0))
        #expect(q.takeCounted()! == (5, 2))
        q.offer(6)
        #expect(q.takeCounted()! == (6, 0))
    }

    /// A marker never waits for, nor takes, a slot the media needs: the lane beside a full ring
    /// still takes it (up to its own size), its items come out first, and the ring stays whole.
    @Test func theLaneBesideAFullQueueNeitherWaitsNorTakesItsSlots() {
        let q = BoundedQueue<Int>(capacity: 2, besideCapacity: 2)
        #expect(q.offer(1) && q.offer(2) && !q.offer(3))
        #expect(q.offerBeside(100) && q.offerBeside(101))
        #expect(!q.offerBeside(102))
        #expect(q.dropped == 1 && q.depth == 2)
        #expect([q.take(), q.take(), q.take(), q.take()] == [100, 101, 1, 2])
        q.close()
        #expect(!q.offerBeside(103) && q.take() == nil)
    }

    @Test func closeDrainsThenEnds() {
        let q = BoundedQueue<Int>(capacity: 4)
        q.put(1); q.put(2)
        q.close()
        #expect(!q.put(3))
        #expect(q.take() == 1 && q.take() == 2 && q.take() == nil)
    }

    @Test func putWaitsForRoom() async {
        let q = BoundedQueue<Int>(capacity: 1)
        q.put(0)
        let consumer = Thread { Thread.sleep(forTimeInterval: 0.05); _ = q.take() }
        consumer.start()
        let t0 = MonotonicClock.now()
        #expect(q.put(1))
        #expect(MonotonicClock.now() - t0 >= 40_000_000)
        #expect(q.dropped == 0)
    }

    @Test func segmentClockAgreesAcrossTimeBases() {
        let c = SegmentClock(segmentNanos: 4_000_000_000)
        #expect(c.index(of: 99, timeBase: .init(1, 25)) == 0)
        #expect(c.index(of: 100, timeBase: .init(1, 25)) == 1)
        #expect(c.index(of: 191_999, timeBase: .init(1, 48_000)) == 0)
        #expect(c.index(of: 192_000, timeBase: .init(1, 48_000)) == 1)
        #expect(c.index(of: 119, timeBase: .init(1, 30)) == 0 && c.index(of: 120, timeBase: .init(1, 30)) == 1)
    }
}
