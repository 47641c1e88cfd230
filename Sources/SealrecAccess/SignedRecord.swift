import Foundation
import SealrecCrypto
import SealrecSeal

/// Grants and revocations use the manifest's line format: a JSON object whose last member is
/// `"sig"` (base64 Ed25519 over the line without that member), so a reviewer checks them with the
/// same `sed` + `openssl pkeyutl -verify -rawin` steps as the manifest.
public enum SignedRecord {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public static func make(_ members: [JSONMember], key: RoomKey) throws -> Data {
        let body = JSONValue.object(members).asciiBytes
        let signature = try key.sign(body)
        var line = Array(body.dropLast())
        line += Array(",\"sig\":\"\(Data(signature).base64EncodedString())\"}\n".utf8)
        return Data(line)
    }

    /// Checks the signature against the trusted keys and returns the body's fields and the signer.
    public static func open(_ data: Data, trusted: [RoomPublicKey]) throws -> (fields: [String: Any], signer: RoomPublicKey) {
        var bytes = [UInt8](data)
        while bytes.last == 10 || bytes.last == 13 { bytes.removeLast() }
        let marker = Array(",\"sig\":\"".utf8)
        guard bytes.count > marker.count + 2, bytes.last == UInt8(ascii: "}"), bytes[bytes.count - 2] == UInt8(ascii: "\""),
              let at = lastIndex(of: marker, in: bytes) else { throw Failure(description: "not a signed record (no final \"sig\" member)") }
        let body = Array(bytes[..<at]) + [UInt8(ascii: "}")]
        guard let signature = Data(base64Encoded: Data(bytes[(at + marker.count)..<(bytes.count - 2)])) else {
            throw Failure(description: "the signature is not base64")
        }
        guard let signer = trusted.first(where: { $0.verify(signature: [UInt8](signature), message: body) }) else {
            throw Failure(description: "the signature does not verify with any trusted room key")
        }
        guard let fields = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw Failure(description: "the signed body is not a JSON object")
        }
        return (fields, signer)
    }

    static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        var i = haystack.count - needle.count
        while i >= 0 {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i -= 1
        }
        return nil
    }
}
