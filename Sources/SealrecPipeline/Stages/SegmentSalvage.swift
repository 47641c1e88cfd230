import Foundation
import SealrecAV
import SealrecCrypto
import SealrecSystem

/// A segment file whose writing was cut off (a crash, a power cut, a write error): what of it can
/// be kept. A `.partial` file is cut back to its last complete fragment, made durable and renamed
/// to its final name; a whole file (renamed, never sealed) is kept as it is. Used by the pipeline
/// after a write error and by crash recovery at the next start, so both keep the same media.
public struct SalvagedSegment: Sendable {
    public let fileName: String
    public let byteLength: Int64
    /// SHA-256 of the file as it now is, read back in one pass (the writer's running hash no
    /// longer matches a file that was cut back).
    public let sha256: Digest
    /// Where its media ends on the session timeline (its pictures, or its sound without a camera).
    public let mediaEndMicros: Int64
    public let initSectionLength: Int64

    /// Salvages `folder/name`; nil when it holds nothing decodable (then it is left exactly as found).
    public static func salvage(folder: String, name: String) throws -> SalvagedSegment? {
        var path = folder + "/" + name
        var finalName = name
        var initLength: Int?
        if name.hasSuffix(SegmentFile.partialSuffix) {
            let scan = try FragmentScanner(path: path)
            guard scan.completeFragments > 0 else { return nil }
            initLength = scan.initLength  // cutting back keeps the init section as it is
            if truncate(path, off_t(scan.completeLength)) != 0 { throw SystemError("truncate", path: path) }
            let fd = try Files.open(path, O_RDONLY)
            try Files.fsync(fd, path: path)
            try Files.close(fd, path: path)
            finalName = String(name.dropLast(SegmentFile.partialSuffix.count))
            try Files.rename(path, folder + "/" + finalName)
            try Files.syncFolder(folder)
            path = folder + "/" + finalName
        }
        guard let end = try MediaReader(path: path).endTime(of: .video) ?? MediaReader(path: path).endTime(of: .audio) else { return nil }
        let (length, digest) = try SegmentFileHasher().hash(URL(fileURLWithPath: path))
        return SalvagedSegment(fileName: finalName, byteLength: length, sha256: digest, mediaEndMicros: Int64((end * 1e6).rounded()),
                               initSectionLength: Int64(try initLength ?? FragmentScanner(path: path).initLength ?? 0))
    }
}
