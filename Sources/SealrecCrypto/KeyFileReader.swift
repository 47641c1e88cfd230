#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SealrecSystem

/// Reads a small key file through one descriptor, so the mode we check is the mode of the
/// very file we read (no window for a swap between stat and open). A link is followed (keys are
/// often kept behind one), but what it reaches must be a regular file: a FIFO or device is refused
/// before anything is read (a FIFO given as --trust would otherwise hang the command).
enum KeyFileReader {
    static let maxBytes: Int64 = 64 * 1024

    static func read(_ path: String, requireOwnerOnly: Bool) throws(KeyError) -> [UInt8] {
        let file = try keyError { () throws(UntrustedFileError) in try UntrustedFile(path, followingLinks: true) }
        if requireOwnerOnly && file.mode & 0o077 != 0 {
            throw .privateKeyReadableByOthers(path: path, mode: UInt32(file.mode))
        }
        guard file.size <= maxBytes else { throw .tooLarge(path: path, bytes: file.size) }
        return try keyError { () throws(UntrustedFileError) in try file.readAll(limit: maxBytes) }
    }

    private static func keyError<T>(_ body: () throws(UntrustedFileError) -> T) throws(KeyError) -> T {
        do { return try body() } catch {
            switch error {
            case .file(let e): throw .file(e)
            case .tooLong(let path, let limit): throw .tooLarge(path: path, bytes: limit + 1)
            default: throw .unsafeFile(error)
            }
        }
    }
}
