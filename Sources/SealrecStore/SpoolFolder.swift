import Foundation
import SealrecCrypto
import SealrecSystem

/// The on-disk part of the upload queue. Every file is written under a temporary name, fsynced,
/// renamed and its folder fsynced, so after a crash each item file is either whole or absent.
///
///     SPOOL/queue/NNNNNNNNNNNN.json    items not yet confirmed by the store
///     SPOOL/data/NNNNNNNNNNNN.bin      bytes queued by value (manifest entries), owned by the spool
///     SPOOL/stored/NNNNNNNNNNNN.json   confirmed uploads whose local copy awaits the local retention
struct SpoolFolder {
    let root: String
    var queue: String { root + "/queue" }
    var data: String { root + "/data" }
    var stored: String { root + "/stored" }
    /// One empty file per session folder whose every object has been queued (see `markSessionQueued`).
    var sessions: String { root + "/sessions" }

    func create() throws(StoreError) {
        for folder in [root, queue, data, stored, sessions] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw .localFile(path: folder, detail: "cannot create the spool folder: \(error.localizedDescription)")
            }
        }
    }

    static func name(_ sequence: UInt64, _ suffix: String) -> String { String(format: "%012llu", sequence) + suffix }

    /// A session folder's ledger name: its path made one file name (`/` cannot appear in one).
    static func sessionName(_ folder: String) -> String {
        URL(fileURLWithPath: folder).standardizedFileURL.path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    /// Writes a new file atomically and durably.
    func write(_ bytes: [UInt8], to path: String) throws(StoreError) {
        do { try Files.writeAtomically(bytes, to: path, mode: 0o600) } catch {
            throw .localFile(path: path, detail: error.description)
        }
    }

    func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .localFile(path: path, detail: "unlink: \(String(cString: strerror(errno)))") }
        try syncFolder(of: path)
    }

    private func syncFolder(of path: String) throws(StoreError) {
        let folder = (path as NSString).deletingLastPathComponent
        do { try DurableFile.syncDirectory(folder) } catch { throw .localFile(path: folder, detail: error.description) }
    }

    /// Names in a spool folder, leftover temporaries (a crash mid-write) removed.
    func entries(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasSuffix(".tmp") { unlink(folder + "/" + name) }
        return names.filter { !$0.hasSuffix(".tmp") }.sorted()
    }

    func load<T: Decodable>(_ type: T.Type, from folder: String) -> [(name: String, value: T)] {
        entries(folder).compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name),
                  let value = try? JSONDecoder().decode(T.self, from: data) else { return nil }
            return (name, value)
        }
    }
}
