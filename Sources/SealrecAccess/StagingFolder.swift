import Foundation
import SealrecSystem

/// A private folder (mode 0700) beside a destination, on the same file system, where a fetched
/// session waits until it is verified: only then is it renamed into place, so a refused fetch never
/// leaves altered files where the reviewer looks, and the destination is private from the start.
struct StagingFolder {
    let path: String
    let destination: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates the staging folder; the destination must not exist or be an empty folder.
    init(beside destination: String) throws(Failure) {
        let absolute = URL(fileURLWithPath: destination).standardizedFileURL.path
        let parent = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create the folder \(parent): \(error.localizedDescription)")
        }
        // mkdtemp creates the folder with mode 0700 and a name nobody could have prepared.
        var template = Array("\(parent)/.sealrec-fetch-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw Failure(description: "cannot create a private folder in \(parent): \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.destination = absolute
    }

    /// Puts the verified session in place. rename(2) replaces only an empty folder, never files.
    func moveIntoPlace() throws(Failure) {
        guard rename(path, destination) == 0 else {
            throw Failure(description: "cannot move the verified session to \(destination): \(String(cString: strerror(errno)))")
        }
        try? Files.syncFolder(Files.parentFolder(of: destination))  // best effort: the move itself has happened
    }

    /// Removes what is left (after a refusal); nothing when the session was moved into place.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
