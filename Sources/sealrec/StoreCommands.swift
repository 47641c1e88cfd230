import Foundation
import SealrecAccess
import SealrecSeal
import SealrecStore

// `sealrec upload` and the store half of `sealrec verify`.

/// `sealrec upload SESSION_DIR --to STORE [--spool DIR] [--concurrency N] [--limit BYTES_PER_S]
/// [--wait SECONDS]`: queues the session in the spool and drives the queue until the store has
/// confirmed every object. Exit 0 when all is stored; 75 (EX_TEMPFAIL) when `--wait` ran out, the
/// items staying in the spool for the next run; 1 on errors that need an operator.
let uploadUsage = "sealrec upload SESSION_DIR --to STORE [--spool DIR] [--concurrency N] [--limit BYTES_PER_S] [--wait SECONDS]"

func runUpload(_ args: [String]) -> Int32 {
    runCommand(usage: uploadUsage) {
        let parsed = try Arguments(args, valueFlags: ["--to", "--spool", "--concurrency", "--limit", "--wait", "--backoff-max"])
        guard parsed.positional.count == 1 else { throw UsageError("needs exactly one SESSION_DIR") }
        let folder = URL(fileURLWithPath: parsed.positional[0]).standardizedFileURL.path
        let spool = parsed.value("--spool") ?? (folder as NSString).deletingLastPathComponent + "/.sealrec-spool"
        var options = UploadQueue.Options()
        if let n = parsed.value("--concurrency") {
            guard let value = Int(n), value > 0 else { throw UsageError("--concurrency needs a positive whole number") }
            options.concurrency = value
        }
        if let n = parsed.value("--limit") {
            guard let value = Int64(n), value > 0 else { throw UsageError("--limit needs bytes per second") }
            options.maxBytesPerSecond = value
        }
        if let maximum = try parsed.double("--backoff-max") { options.maxBackoff = maximum }
        let wait = try parsed.double("--wait") ?? .infinity
        let store = try StoreLocation.open(try parsed.required("--to"))
        let queue = try UploadQueue(spool: spool, store: store, options: options) { Output.error($0) }
        let summary = try SessionUpload.enqueue(folder: folder, into: queue)
        print("queued \(summary.segments) segments and \(summary.entries) manifest entries of \(safe(summary.layout.root))\(summary.closed ? "" : " (session not closed)")")
        let started = Date()
        queue.start()
        let done = queue.waitUntilEmpty(timeout: wait)
        queue.stop()
        let status = queue.status()
        print(status.text(), terminator: "")
        if done {
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "uploaded in %.2f s (%.1f MB/s)", seconds, Double(status.uploadedBytes) / max(seconds, 0.001) / 1e6))
            return 0
        }
        Output.error("upload not finished after \(wait) s; \(status.backlogItems) items wait in \(spool)")
        return 75
    }
}

/// Downloads a session from a store (`s3://BUCKET/ROOM/SESSION?...`, `file:///STORE/ROOM/SESSION`)
/// into a temporary folder and verifies that; the folder is removed afterwards.
func verifyFromStore(_ location: String, trustedKeys: [TrustedKey], json: Bool) -> Int32 {
    let scratch = NSTemporaryDirectory() + "sealrec-verify-\(UUID().uuidString.prefix(8))"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    do {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let store = try StoreLocation.open(location)
        // With --trust, a manifest not signed by a trusted key is refused before its segments are downloaded.
        let keys = trustedKeys.map(\.key)
        let check: ((Data) -> String?)? = keys.isEmpty ? nil : { ManifestCheck.signedBy(trusted: keys, manifestBytes: $0) }
        let fetched = try SessionFetcher.fetch(from: store, into: scratch, limits: .manifestFormat, manifestCheck: check)
        Output.error("fetched \(fetched.files) files and \(fetched.manifestEntries) manifest entries (\(fetched.bytes) bytes) from \(store)")
    } catch {
        Output.error("cannot fetch the session from the store: \(error)")
        return 1
    }
    let report = Verifier.verify(folder: URL(fileURLWithPath: scratch), trustedKeys: trustedKeys)
    print(json ? report.json() : report.text(), terminator: "")
    return report.exitCode
}
