import SealrecSystem
/// Why a room key could not be created, written or loaded; each case names the file involved.
public enum KeyError: Error, CustomStringConvertible, Sendable {
    /// The private key file can be read by group or others: refusing it protects the operator
    /// from running with a key that may already have leaked.
    case privateKeyReadableByOthers(path: String, mode: UInt32)
    /// The file exists where a new key was to be written; keys are never overwritten.
    case alreadyExists(path: String)
    case file(SystemError)
    /// The file is not a PEM key of the expected kind.
    case unreadablePEM(path: String, expected: String, reason: String)
    case notEd25519(path: String)
    case tooLarge(path: String, bytes: Int64)
    /// A symbolic link, FIFO, device or directory where a key file was expected.
    case unsafeFile(UntrustedFileError)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case let .privateKeyReadableByOthers(path, mode):
            return "\(path): private key file has mode \(String(mode & 0o7777, radix: 8, uppercase: false).leftPadded(to: 4)), "
                + "readable by group/others; refusing to use it (chmod 600 it, and consider the key compromised)"
        case let .alreadyExists(path): return "\(path): already exists; refusing to overwrite a key"
        case let .file(error): return error.description
        case let .unreadablePEM(path, expected, reason): return "\(path): not a \(expected) PEM file (\(reason))"
        case let .notEd25519(path): return "\(path): key is not an Ed25519 key"
        case let .tooLarge(path, bytes): return "\(path): \(bytes) bytes is too large for a key file"
        case let .unsafeFile(error): return error.description
        case let .crypto(error): return error.description
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
