/// Segment names must be plain names inside the session folder: a manifest must never make
/// the verifier read outside the folder, and reviewers' shell loops need names without quoting.
public enum SegmentFileName {
    public static let reserved: Set<String> = [SessionFiles.manifest, SessionFiles.publicKey, SessionFiles.playlist]

    /// Extensions of files a player could be made to play (media and playlists). Any such file in
    /// the folder that the manifest does not list is a problem, whatever the case of its extension
    /// and hidden or not; `Scripts/verify-by-hand` has the same list.
    public static let mediaExtensions: Set<String> = [
        "mp4", "m4s", "m4a", "m4v", "mov", "3gp", "3g2", "cmfv", "cmfa", "ismv", "isma", "f4v",
        "ts", "mts", "m2ts", "mpg", "mpeg", "aac", "ac3", "mp3", "wav", "flac", "ogg", "oga", "ogv", "opus",
        "mkv", "mka", "webm", "avi", "flv", "wmv", "wma", "asf", "h264", "264", "hevc", "h265",
        "m3u8", "m3u", "mpd", "pls", "xspf",
    ]

    public static func isMediaOrPlaylist(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return mediaExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Why `name` is not acceptable, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 255 { return "is longer than 255 bytes" }
        if name.hasPrefix(".") { return "starts with '.'" }
        if reserved.contains(name) { return "is reserved for \(name)" }
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
        return allowed ? nil : "may contain only letters, digits, '.', '_' and '-'"
    }
}
