import COpenSSL

/// Streaming SHA-256 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
/// Not thread-safe: one hasher belongs to one writer.
public final class SHA256Hasher {
    private let context = StreamingDigest(EVP_sha256(), name: "sha256")

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) { context.update(bytes) }

    public func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 { context.update(bytes) }

    /// Returns the digest; the hasher can not be updated afterwards.
    public func finalize() -> Digest { context.finalize() }

    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// A SHA-256 digest; printed as lowercase hex, the form `sha256sum` prints.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        bytes = out
    }

    public var description: String { hex }
}
