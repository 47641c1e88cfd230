import Foundation
import SealrecCrypto
import SealrecFormat

/// Grants and revocations use the manifest's line format: a JSON object whose last member is
/// `"sig"` (base64 Ed25519 over the line without that member), so a reviewer checks them with the
/// same `sed` + `openssl pkeyutl -verify -rawin` steps as the manifest, and this reads them with the
/// manifest's strict parser (a body with a duplicate member is refused, never read two ways).
public enum SignedRecord {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public static func make(_ members: [JSONMember], key: RoomKey) throws -> Data {
        let body = JSONValue.object(members).asciiBytes
        return Data(SignedLine.encode(body: body, signature: try key.sign(body)))
    }

    /// Checks the signature against the trusted keys and returns the parsed line and the signer.
    public static func open(_ data: Data, trusted: [RoomPublicKey]) throws -> (line: SignedLine, signer: RoomPublicKey) {
        var bytes = [UInt8](data)
        while bytes.last == 10 || bytes.last == 13 { bytes.removeLast() }
        let body: [UInt8], signature: [UInt8]
        do { (body, signature) = try SignedLine.split(bytes[...]) } catch {
            throw Failure(description: "not a signed record: \(error)")
        }
        guard let signer = trusted.first(where: { $0.verify(signature: signature, message: body) }) else {
            throw Failure(description: "the signature does not verify with any trusted room key")
        }
        do { return (try SignedLine(bytes[...]), signer) } catch {
            throw Failure(description: "the signed body is not acceptable: \(error)")
        }
    }
}
