import CQRencode
import Foundation

/// A QR code made by libqrencode, at error-correction level H (30 % of the symbol can be damaged,
/// stamped over or smudged and it still reads), rendered as PNG, SVG or terminal text.
public struct QRCode: Sendable {
    /// Dark modules, row by row.
    public let modules: [[Bool]]
    public var size: Int { modules.count }

    public struct EncodeError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ payload: String) throws {
        guard let qr = QRcode_encodeString8bit(payload, 0, QR_ECLEVEL_H) else {
            throw EncodeError(description: "QR encoding of a \(payload.utf8.count)-byte payload failed: \(String(cString: strerror(errno)))")
        }
        defer { QRcode_free(qr) }
        let width = Int(qr.pointee.width)
        let data = qr.pointee.data!
        modules = (0..<width).map { y in (0..<width).map { x in data[y * width + x] & 1 == 1 } }
    }

    /// Grayscale PNG, `scale` pixels per module, with the 4-module quiet zone the standard asks for.
    public func png(scale: Int = 8) -> Data {
        let quiet = 4
        let side = (size + 2 * quiet) * scale
        var rows: [UInt8] = []
        rows.reserveCapacity((side + 1) * side)
        for y in 0..<side {
            rows.append(0)  // filter: none
            let my = y / scale - quiet
            for x in 0..<side {
                let mx = x / scale - quiet
                let dark = my >= 0 && my < size && mx >= 0 && mx < size && modules[my][mx]
                rows.append(dark ? 0 : 255)
            }
        }
        return PNG.grayscale(width: side, height: side, scanlines: rows)
    }

    /// SVG with one path of unit squares; scales to any print size.
    public func svg() -> String {
        let quiet = 4, side = size + 2 * quiet
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + quiet) \(y + quiet)h1v1h-1z" }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(side * 8)" height="\(side * 8)" shape-rendering="crispEdges">
            <rect width="\(side)" height="\(side)" fill="#fff"/><path d="\(path)" fill="#000"/>
            </svg>

            """
    }

    /// Two modules per character cell (upper and lower half blocks), light on dark terminals too.
    public func terminal() -> String {
        let quiet = 2
        let padded: [[Bool]] = Array(repeating: Array(repeating: false, count: size + 2 * quiet), count: quiet)
            + modules.map { Array(repeating: false, count: quiet) + $0 + Array(repeating: false, count: quiet) }
            + Array(repeating: Array(repeating: false, count: size + 2 * quiet), count: quiet + 1)
        var out = ""
        var y = 0
        while y + 1 < padded.count {
            for x in 0..<padded[y].count {
                // Light modules are drawn (terminals are usually dark): the code reads inverted-correct.
                switch (!padded[y][x], !padded[y + 1][x]) {
                case (true, true): out += "█"
                case (true, false): out += "▀"
                case (false, true): out += "▄"
                case (false, false): out += " "
                }
            }
            out += "\n"
            y += 2
        }
        return out
    }
}

/// A minimal PNG writer: 8-bit grayscale, zlib stream of stored (uncompressed) deflate blocks.
enum PNG {
    static func grayscale(width: Int, height: Int, scanlines: [UInt8]) -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(be32(width)); header.append(be32(height))
        header.append(contentsOf: [8, 0, 0, 0, 0])  // 8 bits, grayscale, deflate, adaptive filters, no interlace
        out.append(chunk("IHDR", header))
        out.append(chunk("IDAT", zlibStored(scanlines)))
        out.append(chunk("IEND", Data()))
        return out
    }

    static func chunk(_ type: String, _ body: Data) -> Data {
        var c = be32(body.count)
        let typed = Data(type.utf8) + body
        c.append(typed)
        c.append(be32(Int(crc32(typed))))
        return c
    }

    static func zlibStored(_ bytes: [UInt8]) -> Data {
        var out = Data([0x78, 0x01])
        var offset = 0
        repeat {
            let n = min(65_535, bytes.count - offset)
            let last: UInt8 = offset + n == bytes.count ? 1 : 0
            out.append(last)
            out.append(contentsOf: [UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)])
            out.append(contentsOf: bytes[offset..<(offset + n)])
            offset += n
        } while offset < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        out.append(be32(Int(b << 16 | a)))
        return out
    }

    static func be32(_ v: Int) -> Data { Data([UInt8((v >> 24) & 0xff), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]) }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
