#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SealrecSystem

/// Hashes whole files in one sequential pass with large reads, at close to sha256sum speed
/// (OpenSSL's SHA-256 uses the CPU's SHA extensions where present). One hasher reuses its
/// buffer across files; not thread-safe.
public final class SegmentFileHasher {
    public static let readSize = 4 << 20
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: SegmentFileHasher.readSize, alignment: 4096)

    public init() {}
    deinit { buffer.deallocate() }

    /// Byte count and SHA-256 of the file's contents as read now.
    public func hash(_ url: URL) throws(SystemError) -> (length: Int64, digest: Digest) {
        let path = url.path
        let fd: FileDescriptor
        do { fd = try .open(path, O_RDONLY | O_NOFOLLOW) } catch { throw SystemError("open", path: path, error, wording: .pathFirst) }
        defer { try? fd.close() }
        // Tell the kernel we read straight through, so it reads ahead aggressively.
        _ = posix_fadvise(fd.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        let hasher = SHA256Hasher()
        var length: Int64 = 0
        while true {
            let n: Int
            do { n = try fd.read(into: buffer) } catch { throw SystemError("read", path: path, error, wording: .pathFirst) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            length += Int64(n)
        }
        return (length, hasher.finalize())
    }
}
