import Foundation
import SealrecCrypto
import TestSupport

/// A sealed session folder made by the real `sealrec seal-folder` (random segment bytes: the store
/// does not care what is inside), with its room key.
struct SessionFixture {
    let scratch: Scratch
    let folder: String
    let publicKey: String

    init(segments: Int, bytesEach: Int, label: String = "session") throws {
        scratch = Scratch(label)
        folder = scratch.file("session")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<segments {
            var bytes = [UInt8](repeating: 0, count: bytesEach + i)
            for j in stride(from: 0, to: bytes.count, by: 64) { bytes[j] = UInt8.random(in: 0...255) }
            FileManager.default.createFile(atPath: folder + String(format: "/seg-%05d.mp4", i), contents: Data(bytes))
        }
        let keys = scratch.file("keys")
        try expectSuccess(Run.sealrec(["keygen", "--out", keys]))
        try expectSuccess(Run.sealrec(["seal-folder", folder, "--key", keys + "/room.key"]))
        publicKey = keys + "/room.pub.pem"
    }

    /// `ROOM/SESSION/` of this session, from its manifest's first line.
    var root: String { FixtureView(folder: folder).root }

    /// Every object the session should become: segments, public key, one per manifest line, the manifest.
    var expectedKeys: Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let lines = ((try? String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count
        var keys = Set(names.map { root + $0 })
        for seq in 0..<lines { keys.insert(root + String(format: "manifest/%08d.jsonl", seq)) }
        return keys
    }

    func sha256(_ name: String) -> String {
        SHA256Hasher.hash(Array(FileManager.default.contents(atPath: folder + "/" + name) ?? Data())).hex
    }

    func remove() { scratch.remove() }
}

@discardableResult
func expectSuccess(_ result: ProcessResult) throws -> ProcessResult {
    guard result.status == 0 else { throw TestFailure("exit \(result.status): \(result.stderr)\(result.stdout)") }
    return result
}

/// Waits for `condition` up to `seconds`; returns whether it became true.
func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return condition()
}
