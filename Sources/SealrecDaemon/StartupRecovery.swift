import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecRoom
import SealrecSeal
import SealrecStore

/// What the daemon does with its spool before it takes requests: closes the sessions a crash left
/// open, finds the one the room was recording (to resume it), and queues again what never fully
/// reached the upload queue.
struct StartupRecovery {
    let sessionsFolder: String
    /// The `CurrentSessionMarker`'s file.
    let markerPath: String
    let key: RoomKey
    let uploads: UploadQueue?

    /// Finds sessions a crash left open and closes them as interrupted. Returns the one that was
    /// recording when the daemon died (its metadata and what became of it), so recording resumes at
    /// once: also when that session cannot be recovered (it died before its first entry was durable,
    /// or its record is damaged), since the room was recording and still is.
    func closeInterrupted() -> (SessionMetadata, RoomController.Interruption)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessionsFolder)) ?? []
        var recovered: [String: SessionRecovery.Outcome] = [:]
        var failed: [String: String] = [:]
        for name in names.sorted() where SessionRecovery.isUnclosed(sessionsFolder + "/" + name) {
            do {
                let outcome = try SessionRecovery.recover(folder: sessionsFolder + "/" + name, key: key)
                queue(outcome.folder)
                Log.warning("recovered interrupted session \(name): salvaged \(outcome.salvaged), last good media at \(Double(outcome.lastGoodMicros) / 1e6) s")
                recovered[name] = outcome
            } catch {
                Log.error("could not recover session \(name): \(error)")
                failed[name] = "\(error)"
            }
        }
        guard let marker = CurrentSessionMarker.load(markerPath) else { return nil }
        CurrentSessionMarker.remove(markerPath)
        let id = marker.session
        // It was being stopped when the daemon died: closed as interrupted above, not resumed.
        if marker.stopping {
            Log.notice("session \(id) was being stopped when the daemon died: not resuming")
            return nil
        }
        let metadata = marker.metadata
        if let outcome = recovered[id] { return (metadata, .init(folderName: id, lastGoodUTC: outcome.lastGoodUTC, problem: nil)) }
        if let problem = failed[id] { return (metadata, .init(folderName: id, lastGoodUTC: nil, problem: problem)) }
        // No manifest at all: the daemon died before the session's first entry. A closed one was
        // stopped (or ended) before the daemon died: nothing to resume.
        guard !FileManager.default.fileExists(atPath: sessionsFolder + "/" + id + "/" + SessionFiles.manifest) else { return nil }
        return (metadata, .init(folderName: id, lastGoodUTC: nil, problem: "it had no record yet (no \(SessionFiles.manifest))"))
    }

    /// Queues again every closed session whose upload was never fully queued: the daemon died in the
    /// moment between sealing a session's last entry and queueing it, or the queueing failed (a
    /// full disk). Unclosed sessions are `closeInterrupted`'s; `recording` (a session being
    /// recorded) is skipped.
    func queueUnfinishedUploads(skipping recording: String?) {
        guard let uploads else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessionsFolder)) ?? []
        for name in names.sorted() {
            let folder = sessionsFolder + "/" + name
            // The ledger (a stat) first: reading a manifest is for the few sessions it does not list.
            guard folder != recording, !uploads.isSessionQueued(folder: folder),
                  FileManager.default.fileExists(atPath: folder + "/" + SessionFiles.manifest), !SessionRecovery.isUnclosed(folder) else { continue }
            Log.notice("upload: session \(name) was sealed but not fully queued: queueing it again")
            queue(folder)
        }
    }

    /// Queues what a session folder holds that the store may not have yet (idempotent).
    private func queue(_ folder: String) {
        guard let uploads else { return }
        do { _ = try SessionFollower(folder: folder, queue: uploads).poll() } catch {
            Log.error("upload: cannot queue \(folder): \(SafeText.escape("\(error)"))")
        }
    }
}

extension RoomController {
    /// The session a crash interrupted, as the session that resumes it records it.
    public struct Interruption: Sendable {
        public let folderName: String
        /// UTC instant of its last good media; nil when nothing of it could be recovered.
        public let lastGoodUTC: Date?
        /// Why it could not be recovered (nil when it was).
        public let problem: String?

        var linkText: String {
            var text = "continues interrupted session \(folderName); "
            if let problem { text += "it could not be recovered: \(Self.cut(problem, toEscapedBytes: 1024))" } else {
                text += "its last good media ended at \(lastGoodUTC.map(RFC3339.format) ?? "unknown")"
            }
            let gap = lastGoodUTC.map { String(format: "%.3f", Date().timeIntervalSince($0)) } ?? "unknown"
            return text + "; gap about \(gap) s"
        }

        /// The longest start of `text` that takes at most `limit` bytes in the manifest: the link
        /// is a marker and must stay within a marker's limit, whatever the error said.
        static func cut(_ text: String, toEscapedBytes limit: Int) -> String {
            guard ManifestFormat.escapedByteCount(text) > limit else { return text }
            var kept = String.UnicodeScalarView()
            var bytes = 3  // "..."
            for scalar in text.unicodeScalars {
                bytes += ManifestFormat.escapedByteCount(String(scalar))
                guard bytes <= limit else { break }
                kept.append(scalar)
            }
            return String(kept) + "..."
        }
    }
}
