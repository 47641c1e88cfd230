import Foundation
import SealrecCrypto
import SealrecFormat
@testable import SealrecSeal

/// A fresh empty directory per test, removed afterwards.
final class Scratch: @unchecked Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sealrec-seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Result of a shell command.
struct ShellResult {
    let status: Int32
    let output: String
}

/// Runs `command` with bash in `directory`; stdout and stderr together in `output`.
func shell(_ command: String, in directory: URL? = nil) throws -> ShellResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", command]
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ShellResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Real fragmented-MP4 segments made once per test run with the ffmpeg CLI, plus one
/// re-encoded variant of segment 1 and two room keys.
struct MediaFixture: Sendable {
    static let segmentNames = (0..<4).map { String(format: "seg-%05d.mp4", $0) }
    static let segmentMicros: Int64 = 2_000_000
    let directory: URL
    let reencodedSegment1: URL
    let key: RoomKey
    let otherKey: RoomKey

    private static let shared = Result { try MediaFixture.make() }
    static func get() throws -> MediaFixture { try shared.get() }

    private static func make() throws -> MediaFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealrec-media-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let make = try shell("""
            ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=f=1000:sample_rate=48000 \
              -t 8 -c:v libx264 -preset ultrafast -bf 0 -g 50 -c:a aac -f segment -segment_time 2 -segment_format mp4 \
              -segment_format_options movflags=empty_moov+default_base_moof+frag_discont:frag_duration=1000000 seg-%05d.mp4 &&
            ffmpeg -nostdin -loglevel error -i seg-00001.mp4 -c:v libx264 -preset ultrafast -crf 35 -c:a copy \
              -movflags empty_moov+default_base_moof+frag_discont -f mp4 reencoded-1.mp4.alt
            """, in: directory)
        guard make.status == 0 else { throw FixtureError(description: "ffmpeg failed: \(make.output)") }
        for name in segmentNames where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw FixtureError(description: "ffmpeg did not produce \(name)")
        }
        return MediaFixture(directory: directory, reencodedSegment1: directory.appendingPathComponent("reencoded-1.mp4.alt"),
                            key: try RoomKey.generate(), otherKey: try RoomKey.generate())
    }

    static func header(anchor: Date = Date(timeIntervalSince1970: 1_790_000_000.25), caseNumber: String? = "2026-KR-0042",
                       participants: [String]? = ["Interviewer A", "Witness B"]) -> SessionHeader {
        SessionHeader(
            sessionID: "3f1c2a9e-session", roomID: "room-4", caseNumber: caseNumber, participants: participants,
            devices: [Device(kind: "video", name: "Cam 1"), Device(kind: "audio", name: "Ceiling mic")],
            encoder: [JSONMember("video_codec", .string("h264")), JSONMember("fps", .int(25)),
                      JSONMember("audio", .object([JSONMember("codec", .string("aac")), JSONMember("rate", .int(48000))]))],
            software: "sealrec 0.1.0", utcAnchor: anchor, ntpSynchronized: true,
            segmentDurationMicros: segmentMicros, frameDurationMicros: 40_000)
    }

    /// Copies the segments into `folder` and seals them the way the pipeline does: each segment
    /// hashed with SHA256Hasher over its bytes as they are written, then one manifest entry.
    /// `events` are appended before the segment with the same index.
    @discardableResult
    func sealSession(in folder: URL, header: SessionHeader = MediaFixture.header(), starts: [Int64]? = nil,
                     events: [Int: EventRecord] = [:], close: Bool = true) throws -> ManifestWriter {
        let writer = try ManifestWriter(folder: folder, key: key, session: header)
        for (index, name) in Self.segmentNames.enumerated() {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            try bytes.write(to: folder.appendingPathComponent(name))
            let hasher = SHA256Hasher()
            var offset = 0
            while offset < bytes.count {  // in 64 KiB pieces, like muxer writes
                let end = min(offset + 65536, bytes.count)
                hasher.update(bytes[offset..<end])
                offset = end
            }
            if let event = events[index] { try writer.appendEvent(event) }
            let start = starts?[index] ?? Int64(index) * Self.segmentMicros
            try writer.appendSegment(SegmentRecord(
                fileName: name, byteLength: Int64(bytes.count), sha256: hasher.finalize(), startMicros: start,
                durationMicros: Self.segmentMicros, wallClockStart: header.utcAnchor.addingTimeInterval(Double(start) / 1e6)))
        }
        if close { try writer.close(reason: .stopped, lastGoodMicros: writer.timelineEndMicros) }
        return writer
    }
}

/// Reads and rewrites manifest lines, for tampering.
struct ManifestFile {
    let url: URL
    init(in folder: URL) { url = folder.appendingPathComponent(SessionFiles.manifest) }

    func lines() throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func write(_ lines: [String]) throws {
        try Data((lines.map { $0 + "\n" }.joined()).utf8).write(to: url)
    }

    func bytes() throws -> [UInt8] { Array(try Data(contentsOf: url)) }
    func write(bytes: [UInt8]) throws { try Data(bytes).write(to: url) }

    /// The line's body, as a reviewer extracts it.
    static func body(of line: String) -> String {
        let marker = line.range(of: #","sig":""#, options: .backwards)!
        return String(line[..<marker.lowerBound]) + "}"
    }

    /// A line with `body` signed by `key`: what a forger holding that key would write.
    static func signedLine(body: String, key: RoomKey) throws -> String {
        let signature = try key.sign(Array(body.utf8))
        return String(body.dropLast()) + #","sig":""# + Data(signature).base64EncodedString() + #""}"#
    }
}
