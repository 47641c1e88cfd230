import SealrecCrypto
import SealrecSystem

/// Why the sealer could not write or resume a manifest.
public enum ManifestError: Error, Sendable, CustomStringConvertible {
    case file(SystemError)
    case key(KeyError)
    case crypto(CryptoError)
    /// The record cannot be written as given (e.g. a file name with '/'); nothing was appended.
    case invalidRecord(String)
    /// The manifest already has its `end` entry; sessions are never reopened.
    case closed(path: String)
    /// The folder holds a room.pub.pem of a different key than the one signing.
    case publicKeyMismatch(path: String)
    /// Resume found a complete line that is not a valid continuation of the chain.
    case unusableLine(path: String, line: Int, reason: String)
    case noSessionEntry(path: String)

    public var description: String {
        switch self {
        case let .file(error): error.description
        case let .key(error): error.description
        case let .crypto(error): error.description
        case let .invalidRecord(reason): "invalid manifest record: \(reason)"
        case let .closed(path): "\(path): manifest already has its end entry"
        case let .publicKeyMismatch(path): "\(path): holds a different public key than the signing key"
        case let .unusableLine(path, line, reason): "\(path): line \(line): \(reason); not appending to a broken manifest"
        case let .noSessionEntry(path): "\(path): no complete session entry to resume from"
        }
    }
}
