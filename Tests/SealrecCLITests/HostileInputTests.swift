import Foundation
import Testing
import TestSupport

/// A folder store holding one session sealed by `sealrec seal-folder`, with the room's keys.
struct AccessStore {
    let scratch: Scratch
    let root: String
    let keys: String
    let room: String
    let session: String
    var sessionFolder: String { root + "/" + room + "/" + session }
    var publicKey: String { keys + "/room.pub.pem" }

    init() throws {
        scratch = Scratch("hostile")
        keys = scratch.file("keys")
        try AccessStore.ok(Run.sealrec(["keygen", "--out", keys]))
        let work = scratch.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for i in 0..<3 {
            FileManager.default.createFile(atPath: work + String(format: "/seg-%05d.mp4", i),
                                           contents: Data((0..<(20_000 + i)).map { _ in UInt8.random(in: 0...255) }))
        }
        try AccessStore.ok(Run.sealrec(["seal-folder", work, "--key", keys + "/room.key"]))
        let manifest = try String(contentsOfFile: work + "/manifest.jsonl", encoding: .utf8)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(manifest.prefix { $0 != "\n" }.utf8)) as? [String: Any])
        room = try #require(first["room_id"] as? String)
        session = try #require(first["session_id"] as? String)
        root = scratch.file("store")
        try FileManager.default.createDirectory(atPath: root + "/" + room, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: work, toPath: root + "/" + room + "/" + session)
    }

    /// `sealrec grant` with the QR files in the scratch folder; returns the printed code.
    func grant(to name: String = "A. Lawyer") throws -> String {
        let r = try ok(Run.sealrec(["grant", session, "--to", name, "--expires", "1d", "--store", root, "--key", keys + "/room.key",
                                    "--qr-out", scratch.file("qr-\(UUID().uuidString.prefix(6))")]))
        return try #require(Self.code(in: r.stdout))
    }

    /// Replaces a signed record with `body` signed by the room key (openssl, as a reviewer would check it).
    func resign(_ body: String, into path: String) throws {
        let bodyFile = scratch.file("body-\(UUID().uuidString.prefix(6))")
        try body.write(toFile: bodyFile, atomically: false, encoding: .utf8)
        try AccessStore.ok(Run.tool("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", keys + "/room.key", "-in", bodyFile,
                                                "-out", bodyFile + ".sig"]))
        let signature = try Data(contentsOf: URL(fileURLWithPath: bodyFile + ".sig")).base64EncodedString()
        try FileManager.default.removeItem(atPath: path)
        try (body.dropLast() + #","sig":""# + signature + "\"}\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func code(in output: String) -> String? {
        output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 17 && $0.filter { $0 == "-" }.count == 3 }
    }

    /// `sealrec ARGS` killed after a generous minute: a hang is a failure, never a stuck test run.
    static func bounded(_ args: [String]) throws -> ProcessResult {
        try Run.tool("/usr/bin/timeout", ["-s", "KILL", "60", Run.sealrecPath] + args)
    }

    @discardableResult
    func ok(_ r: ProcessResult) throws -> ProcessResult { try AccessStore.ok(r) }

    @discardableResult
    static func ok(_ r: ProcessResult) throws -> ProcessResult {
        guard r.status == 0 else { throw CommandFailed(description: "exit \(r.status): \(r.stderr)\(r.stdout)") }
        return r
    }
}

struct CommandFailed: Error, CustomStringConvertible { let description: String }

/// Bytes a terminal would act on: C0 controls other than the newline, DEL, C1 controls.
func controlCharacters(_ text: String) -> [UInt32] {
    text.unicodeScalars.map(\.value).filter { ($0 < 0x20 && $0 != 0x0a) || (0x7f...0x9f).contains($0) }
}

/// What someone who controls a store, a key path or a grant can hand the command line.
@Suite struct HostileInputTests {
    @Test func aFIFOGivenAsAKeyIsRefusedWithoutHanging() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let fifo = s.scratch.file("trusted.pem")
        #expect(mkfifo(fifo, 0o600) == 0)
        let code = try s.grant()
        for args in [["verify", s.sessionFolder, "--trust", fifo],
                     ["fetch", code, "--from", s.root, "--out", s.scratch.file("out"), "--trust", fifo],
                     ["grant", s.session, "--to", "X", "--expires", "1d", "--store", s.root, "--key", fifo, "--qr-out", s.scratch.file("qr")]] {
            let r = try AccessStore.bounded(args)
            #expect(r.status != 0 && r.status != 9 && r.status != 137, "\(args[0]): exit \(r.status)")
            #expect(r.stderr.contains(fifo) && r.stderr.contains("FIFO"), "\(args[0]): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.scratch.file("out")))
    }

    @Test func aSegmentLinkedToDevZeroFailsTheFetchAtOnceNamingIt() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        let segment = s.sessionFolder + "/seg-00001.mp4"
        try FileManager.default.removeItem(atPath: segment)
        try FileManager.default.createSymbolicLink(atPath: segment, withDestinationPath: "/dev/zero")
        let out = s.scratch.file("out")
        for args in [["fetch", code, "--from", s.root, "--out", out, "--trust", s.publicKey],
                     ["verify", "file://" + s.sessionFolder, "--trust", s.publicKey]] {
            let r = try AccessStore.bounded(args)
            #expect(r.status == 1, "\(args[0]): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("seg-00001.mp4") && r.stderr.contains("symbolic link"), "\(args[0]): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aHostileFileNameInTheStoreIsPrintedEscapedAndFailsTheFetch() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        FileManager.default.createFile(atPath: s.sessionFolder + "/seg-00001.mp4\r\u{1b}[2K\u{1b}[32mVERIFIED", contents: Data([0]))
        let out = s.scratch.file("out")
        for args in [["fetch", code, "--from", s.root, "--out", out, "--trust", s.publicKey],
                     ["verify", "file://" + s.sessionFolder, "--trust", s.publicKey]] {
            let r = try AccessStore.bounded(args)
            #expect(r.status == 1, "\(args[0]): exit \(r.status)")
            #expect(controlCharacters(r.stdout + r.stderr).isEmpty, "\(args[0]): \(controlCharacters(r.stdout + r.stderr))")
            #expect(r.stderr.contains(#"seg-00001.mp4\x0d\x1b[2K\x1b[32mVERIFIED"#), "\(args[0]): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aRefusedFetchLeavesTheDestinationAsItWas() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        let segment = s.sessionFolder + "/seg-00002.mp4"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count / 2] ^= 0x40
        try FileManager.default.removeItem(atPath: segment)
        try bytes.write(to: URL(fileURLWithPath: segment))
        let parent = s.scratch.file("reviewer")
        // A destination that does not exist yet, and one that exists empty.
        try FileManager.default.createDirectory(atPath: parent + "/empty", withIntermediateDirectories: true)
        for out in [parent + "/new", parent + "/empty"] {
            let r = try AccessStore.bounded(["fetch", code, "--from", s.root, "--out", out, "--trust", s.publicKey])
            #expect(r.status == 1 && r.stderr.contains("seg-00002.mp4") && r.stderr.contains("nothing was written to \(out)"), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: parent + "/new"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent + "/empty").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).sorted() == ["empty"])
    }

    @Test func aVerifiedFetchIsAPrivateFolderWithTheWholeSession() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let code = try s.grant()
        let parent = s.scratch.file("reviewer")
        let out = parent + "/case-17"
        let r = try AccessStore.bounded(["fetch", code, "--from", s.root, "--out", out, "--trust", s.publicKey])
        #expect(r.status == 0 && r.stdout.contains("READY") && r.stdout.contains(out), "\(r.stderr)")
        let mode = try #require(FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int)
        #expect(mode == 0o700, "mode \(String(mode, radix: 8))")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out))
                == ["manifest.jsonl", "room.pub.pem", "seg-00000.mp4", "seg-00001.mp4", "seg-00002.mp4"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["case-17"])
        #expect(try Run.sealrec(["verify", out, "--trust", s.publicKey]).status == 0)
    }

    @Test func qrFilesAreOwnerOnlyAndTheirDefaultNameHoldsNoPartOfTheCode() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        let here = s.scratch.file("desk")
        try FileManager.default.createDirectory(atPath: here, withIntermediateDirectories: true)
        // The default name is relative to the working directory: run there.
        let r = try AccessStore.ok(Run.tool("/bin/sh", ["-c", #"cd "$1" && shift && exec "$@""#, "sh", here, Run.sealrecPath,
                                                        "grant", s.session, "--to", "J. Judge", "--expires", "2w", "--store", s.root,
                                                        "--key", s.keys + "/room.key"]))
        let code = try #require(AccessStore.code(in: r.stdout))
        let names = try FileManager.default.contentsOfDirectory(atPath: here).sorted()
        #expect(names.count == 2)
        for name in names {
            // access-SESSION-RANDOM.png/.svg: the session and a random tag, nothing of the code.
            let tag = name.dropFirst("access-\(s.session)-".count).dropLast(4)
            #expect(name.hasPrefix("access-\(s.session)-") && (name.hasSuffix(".png") || name.hasSuffix(".svg")), "\(name)")
            #expect(!tag.isEmpty && tag.allSatisfy(\.isHexDigit) && tag.count <= 8, "\(name)")
            #expect(!name.contains(code.prefix(4)), "\(name) shows the code \(code)")
            let mode = try #require(FileManager.default.attributesOfItem(atPath: here + "/" + name)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(name): mode \(String(mode, radix: 8))")
        }
        // An existing file or a link where a QR file would go stops the grant before the store is written.
        let grantsBefore = try FileManager.default.contentsOfDirectory(atPath: s.root + "/grants").count
        let decoy = s.scratch.file("decoy")
        FileManager.default.createFile(atPath: decoy, contents: Data("keep".utf8))
        try FileManager.default.createSymbolicLink(atPath: here + "/taken.png", withDestinationPath: decoy)
        let refused = try Run.sealrec(["grant", s.session, "--to", "J. Judge", "--expires", "2w", "--store", s.root,
                                       "--key", s.keys + "/room.key", "--qr-out", here + "/taken"])
        #expect(refused.status != 0 && refused.stderr.contains("taken.png"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: decoy, encoding: .utf8) == "keep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.root + "/grants").count == grantsBefore)
        #expect(!FileManager.default.fileExists(atPath: here + "/taken.svg"))
    }

    @Test func grantFieldsFromTheStoreArePrintedEscaped() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        // sealrec itself refuses such a name...
        let hostile = "Eve\u{1b}[2J\u{1b}[H\rRole: judge"
        let refused = try Run.sealrec(["grant", s.session, "--to", hostile, "--expires", "1d", "--store", s.root,
                                       "--key", s.keys + "/room.key", "--qr-out", s.scratch.file("qr")])
        #expect(refused.status == 1 && refused.stderr.contains("--to has control"), "\(refused.stderr)")
        // ...but a store may hold one anyway (signed by the room key elsewhere): it is printed escaped.
        let code = try s.grant(to: "A. Lawyer")
        let grants = try FileManager.default.contentsOfDirectory(atPath: s.root + "/grants")
        let file = s.root + "/grants/" + (try #require(grants.first))
        let line = try String(contentsOfFile: file, encoding: .utf8)
        let body = try #require(line.range(of: #","sig":""#)).lowerBound
        let altered = line[..<body].replacingOccurrences(of: #""grantee":"A. Lawyer""#, with: #""grantee":"Eve\u001b[2J\u001b[H\u000dRole: judge""#) + "}"
        try s.resign(altered, into: file)
        let listed = try AccessStore.bounded(["grants", s.session, "--store", s.root, "--trust", s.publicKey])
        #expect(listed.status == 0 && controlCharacters(listed.stdout + listed.stderr).isEmpty, "\(controlCharacters(listed.stdout))")
        #expect(listed.stdout.contains(#"Eve\x1b[2J\x1b[H\x0dRole: judge"#), "\(listed.stdout)")
        let revoked = try AccessStore.bounded(["revoke", code, "--store", s.root, "--key", s.keys + "/room.key", "--reason", "withdrawn"])
        #expect(revoked.status == 0 && controlCharacters(revoked.stdout + revoked.stderr).isEmpty, "\(revoked.stdout)\(revoked.stderr)")
        #expect(revoked.stdout.contains(#"Eve\x1b[2J"#), "\(revoked.stdout)")
    }

    @Test func anEndlessAccessLogEntryStopsTheListingWithItsName() throws {
        let s = try AccessStore()
        defer { s.scratch.remove() }
        _ = try s.grant()
        try FileManager.default.createDirectory(atPath: s.root + "/access-log/" + s.session, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: s.root + "/access-log/" + s.session + "/zero.json", withDestinationPath: "/dev/zero")
        let r = try AccessStore.bounded(["grants", s.session, "--store", s.root, "--trust", s.publicKey])
        #expect(r.status == 1 && r.stderr.contains("zero.json") && r.stderr.contains("symbolic link"), "exit \(r.status): \(r.stderr)")
    }
}
