import SealrecCrypto

/// The fixed names and limits of the manifest format (see MANIFEST.md).
public enum ManifestFormat {
    public static let manifestFileName = "manifest.jsonl"
    /// The room's public key, copied into the folder by the writer for reviewers.
    public static let publicKeyFileName = "room.pub.pem"
    /// The HLS playlist the recorder writes; not sealed, but checked against the manifest.
    public static let playlistFileName = "index.m3u8"
    /// Longer lines are rejected unread: a real entry is a few hundred bytes.
    public static let maxLineBytes = 1 << 20
    /// A manifest larger than this is not read at all (a 24 h session is far below it).
    public static let maxManifestBytes: Int64 = 256 << 20
    /// `prev` of seq 0.
    public static let zeroHash = Digest(bytes: [UInt8](repeating: 0, count: 32))
    /// What separates the signed body from the signature in a line.
    static let signatureMarker = Array(#","sig":""#.utf8)
}
