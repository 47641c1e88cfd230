import Foundation
import SealrecCrypto
import SealrecSystem

/// SHA-256 and MD5 of a byte range of a file, read once. The uploader re-hashes what it is about to
/// send so a local file that changed since it was sealed is caught before it leaves the room, and so
/// the store can be given the MD5 (Content-MD5) it may check.
struct FileDigests {
    let sha256: Digest
    let md5: Digest?

    static func compute(path: String, offset: Int64 = 0, length: Int64, md5 wantMD5: Bool,
                        alsoInto whole: SHA256Hasher? = nil) throws(StoreError) -> FileDigests {
        let fd: FileDescriptor
        do { fd = try .open(path, O_RDONLY) } catch { throw .localFile(path: path, detail: "open: \(error)") }
        defer { try? fd.close() }
        let sha = SHA256Hasher()
        let md5 = wantMD5 ? MD5Hasher() : nil
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = offset
        let end = offset + length
        while position < end {
            let want = Int(min(Int64(buffer.count), end - position))
            let read = buffer.withUnsafeMutableBytes { (raw) -> Result<Int, Errno> in
                Result { () throws(Errno) in try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), at: position) }
            }
            let n: Int
            switch read {
            case let .failure(error): throw .localFile(path: path, detail: "read: \(error)")
            case let .success(count): n = count
            }
            guard n > 0 else { throw .localFile(path: path, detail: "shorter than its recorded \(length) bytes") }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                sha.update(chunk)
                md5?.update(chunk)
                whole?.update(chunk)
            }
            position += Int64(n)
        }
        return FileDigests(sha256: sha.finalize(), md5: md5?.finalize())
    }
}

extension Digest {
    /// Base64, as S3's checksum and Content-MD5 headers carry digests.
    var base64: String { Data(bytes).base64EncodedString() }
}
