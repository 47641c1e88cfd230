import SealrecCrypto

/// A public key the caller vouches for, e.g. loaded from a `--trust` file.
public struct TrustedKey: Sendable {
    public let key: RoomPublicKey
    /// Where it came from, for the report (e.g. "--trust /etc/sealrec/room4.pub.pem").
    public let source: String

    public init(_ key: RoomPublicKey, source: String) {
        self.key = key
        self.source = source
    }
}
