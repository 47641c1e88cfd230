/// The fixed names in a session folder, wherever it is (recorder, store, reviewer's copy).
public enum SessionFiles {
    /// The signed manifest, one line per entry (MANIFEST.md).
    public static let manifest = "manifest.jsonl"
    /// The room's public key, copied into the folder by the writer for reviewers.
    public static let publicKey = "room.pub.pem"
    /// The HLS playlist the recorder writes; not sealed, but checked against the manifest.
    public static let playlist = "index.m3u8"
}
