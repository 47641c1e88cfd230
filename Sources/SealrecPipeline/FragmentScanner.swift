import Foundation
import SealrecSystem

/// Reads the top-level box structure of one of our fMP4 segment files: where the init section
/// ends and how much of a file cut short by a crash is whole fragments (moof + complete mdat).
public struct FragmentScanner: Sendable {
    public let fileLength: Int
    /// Bytes of ftyp + moov (nil if the file does not get that far).
    public let initLength: Int?
    /// Bytes up to the end of the last complete moof+mdat pair.
    public let completeLength: Int
    public let completeFragments: Int

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SystemError("open", path: path, errno: ENOENT) }
        defer { try? handle.close() }
        let length = Int(try handle.seekToEnd())
        fileLength = length
        var offset = 0
        var initEnd: Int?
        var lastComplete = 0
        var fragments = 0
        var pendingMoof = false
        while offset + 8 <= length {
            try handle.seek(toOffset: UInt64(offset))
            let header = [UInt8](try handle.read(upToCount: 16) ?? Data())
            guard header.count >= 8 else { break }
            var size = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: header[4..<8], as: UTF8.self)
            if size == 1 {
                guard header.count >= 16 else { break }
                size = header[8..<16].reduce(0) { $0 << 8 | Int($1) }
            } else if size == 0 {
                size = length - offset  // "to end of file": only whole if nothing follows
            }
            guard size >= 8, offset + size <= length else { break }
            offset += size
            switch type {
            case "moov": initEnd = offset; lastComplete = offset
            case "moof": pendingMoof = true
            case "mdat" where pendingMoof: pendingMoof = false; fragments += 1; lastComplete = offset
            case "mfra": lastComplete = offset
            default: break
            }
        }
        initLength = initEnd
        completeLength = lastComplete
        completeFragments = fragments
    }
}
