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
        return Data(ManifestLine.encode(body: body, signature: try key.sign(body)))
    }

    /// Checks the signature against the trusted keys and returns the body's fields and the signer.
    public static func open(_ data: Data, trusted: [RoomPublicKey]) throws -> (fields: [String: Any], signer: RoomPublicKey) {
        var bytes = [UInt8](data)
        while bytes.last == 10 || bytes.last == 13 { bytes.removeLast() }
        let body: [UInt8], signature: [UInt8]
        do { (body, signature) = try ManifestLine.split(bytes[...]) } catch {
            throw Failure(description: "not a signed record: \(error)")
        }
        guard let signer = trusted.first(where: { $0.verify(signature: signature, message: body) }) else {
            throw Failure(description: "the signature does not verify with any trusted room key")
        }
        guard let fields = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw Failure(description: "the signed body is not a JSON object")
        }
        return (fields, signer)
    }
}
