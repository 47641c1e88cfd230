import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecSeal
import SealrecStore

// Entry points for `sealrec keygen`, `sealrec verify` and the hidden `sealrec seal-folder`.
// Each takes the arguments after the subcommand name and returns the process exit status.

private let usageError: Int32 = 64
let keygenUsage = "sealrec keygen --out DIR"
let verifyUsage = "sealrec verify SESSION_DIR|s3://BUCKET/ROOM/SESSION?endpoint=URL|file:///STORE/ROOM/SESSION [--trust PUBKEY_PEM]... [--json]"
let sealFolderUsage = "sealrec seal-folder DIR --key KEYFILE [--segment-us N]"

private func printError(_ message: String) {
    if message.hasPrefix("usage: ") { Output.raw("sealrec: " + message) } else { Output.error(message) }
}

/// `sealrec keygen --out DIR`: writes DIR/room.key (0600) and DIR/room.pub.pem; prints the
/// fingerprint and the public key path, never the private key. Refuses to overwrite.
func runKeygen(_ args: [String]) -> Int32 {
    guard args.count == 2, args[0] == "--out" else {
        printError("usage: " + keygenUsage)
        return usageError
    }
    let directory = URL(fileURLWithPath: args[1])
    let keyURL = directory.appendingPathComponent("room.key")
    let publicURL = directory.appendingPathComponent(SessionFiles.publicKey)
    // Check both first, so a refused run never leaves half a key pair behind.
    for url in [keyURL, publicURL] where FileManager.default.fileExists(atPath: url.path) {
        printError("\(url.path) already exists; refusing to overwrite a key")
        return 1
    }
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let key = try RoomKey.generate()
        try key.write(to: keyURL)
        try key.publicKey.write(to: publicURL)
        print("fingerprint: \(key.publicKey.fingerprint)")
        print("public key: \(safe(publicURL.path))")
        return 0
    } catch {
        printError("keygen failed: \(error)")
        return 1
    }
}

/// `sealrec verify PATH [--trust PUBKEY]... [--json]`: exit 0 only when every check holds and
/// the session key is trusted; 1 when anything is wrong; 2 when consistent but untrusted.
func runVerify(_ args: [String]) -> Int32 {
    let usage = "usage: " + verifyUsage
    var folder: String?
    var trustPaths: [String] = []
    var json = false
    var rest = args[...]
    while let arg = rest.popFirst() {
        switch arg {
        case "--json": json = true
        case "--trust":
            guard let path = rest.popFirst() else { printError(usage); return usageError }
            trustPaths.append(path)
        case _ where arg.hasPrefix("--trust="): trustPaths.append(String(arg.dropFirst("--trust=".count)))
        case _ where arg.hasPrefix("-") || folder != nil:
            printError(usage)
            return usageError
        default: folder = arg
        }
    }
    guard let folder else { printError(usage); return usageError }
    var trusted: [TrustedKey] = []
    for path in trustPaths {
        do {
            trusted.append(TrustedKey(try RoomPublicKey.load(from: URL(fileURLWithPath: path)), source: "--trust \(path)"))
        } catch {
            printError("cannot use trusted key: \(error)")
            return usageError
        }
    }
    if StoreLocation.isStoreURL(folder) { return verifyFromStore(folder, trustedKeys: trusted, json: json) }
    let report = Verifier.verify(folder: URL(fileURLWithPath: folder), trustedKeys: trusted)
    print(json ? report.json() : report.text(), terminator: "")
    return report.exitCode
}

/// Hidden helper for benchmarks and manual tests: `sealrec seal-folder DIR --key KEYFILE
/// [--segment-us N]` seals the folder's *.mp4 files (sorted by name) as one session of
/// back-to-back segments of N µs. Real sessions are sealed by the recording pipeline.
func runSealFolder(_ args: [String]) -> Int32 {
    guard args.count == 3 || args.count == 5, args[1] == "--key",
          args.count == 3 || (args[3] == "--segment-us" && Int64(args[4]).map { $0 > 0 } == true)
    else {
        printError("usage: " + sealFolderUsage)
        return usageError
    }
    let folder = URL(fileURLWithPath: args[0])
    let segmentMicros = args.count == 5 ? Int64(args[4])! : 2_000_000
    do {
        let key = try RoomKey.load(from: URL(fileURLWithPath: args[2]))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mp4") }.sorted()
        let start = Date()
        let header = SessionHeader(
            sessionID: UUID().uuidString.lowercased(), roomID: "seal-folder", devices: [],
            encoder: [], software: "sealrec seal-folder", utcAnchor: start, ntpSynchronized: false,
            segmentDurationMicros: segmentMicros, frameDurationMicros: 40_000)
        let writer = try ManifestWriter(folder: folder, key: key, session: header)
        let hasher = SegmentFileHasher()
        for (index, name) in names.enumerated() {
            let (length, digest) = try hasher.hash(folder.appendingPathComponent(name))
            let offset = Int64(index) * segmentMicros
            try writer.appendSegment(SegmentRecord(
                fileName: name, byteLength: length, sha256: digest, startMicros: offset, durationMicros: segmentMicros,
                wallClockStart: start.addingTimeInterval(Double(offset) / 1_000_000)))
        }
        try writer.close(reason: .stopped, lastGoodMicros: writer.timelineEndMicros)
        print("sealed \(names.count) segments in \(safe(folder.path))")
        return 0
    } catch {
        printError("seal-folder failed: \(error)")
        return 1
    }
}
