import Foundation

/// Top-level ISO BMFF boxes of a file (type and byte range): enough to find fragments.
public struct Box: Sendable {
    public let type: String
    public let offset: Int
    public let size: Int
}

public enum Boxes {
    public static func topLevel(_ data: [UInt8]) -> [Box] {
        var boxes: [Box] = []
        var offset = 0
        while offset + 8 <= data.count {
            var size = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if size == 1, offset + 16 <= data.count {
                size = data[(offset + 8)..<(offset + 16)].reduce(0) { $0 << 8 | Int($1) }
            }
            guard size >= 8 else { break }
            boxes.append(Box(type: type, offset: offset, size: size))
            offset += size
        }
        return boxes
    }
}
