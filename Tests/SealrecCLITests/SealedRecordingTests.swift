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
