import SealrecCrypto
import SealrecFormat

/// The manifest format's limits (see MANIFEST.md); the folder's names are `SessionFiles`, the
/// line format `SignedLine`, both in SealrecFormat.
public enum ManifestFormat {
    /// A manifest larger than this is not read at all (a 24 h session is far below it).
    public static let maxManifestBytes: Int64 = 256 << 20
    /// A marker's text as its line holds it (escapes counted: a non-ASCII character is 6 or 12
    /// bytes) is at most this long; an operator's note is a sentence, not a document.
    public static let maxMarkerTextBytes = 2048
    /// The writer refuses markers once the manifest is this large, so segment, event and end
    /// entries always still fit under `maxManifestBytes` (a 24 h session of 1 s segments is ~35 MB).
    public static let markerBudgetBytes: Int64 = maxManifestBytes / 4
    /// Bytes `text` takes inside a line's JSON string (escapes included, quotes not), as
    /// `JSONValue` writes it; counted without building it, and only up to `limit` (then limit + 1).
    public static func escapedByteCount(_ text: String, limit: Int = .max) -> Int {
        var count = 0
        for unit in text.utf16 {
            switch unit {
            case 0x22, 0x5C: count += 2
            case 0x20..<0x7F: count += 1
            default: count += 6
            }
            if count > limit { return limit + 1 }
        }
        return count
    }
    /// `prev` of seq 0.
    public static let zeroHash = Digest(bytes: [UInt8](repeating: 0, count: 32))
}
