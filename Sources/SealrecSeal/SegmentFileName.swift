/// Segment names must be plain names inside the session folder: a manifest must never make
/// the verifier read outside the folder, and reviewers' shell loops need names without quoting.
enum SegmentFileName {
    static let reserved: Set<String> = [ManifestFormat.manifestFileName, ManifestFormat.publicKeyFileName]

    /// Why `name` is not acceptable, or nil when it is.
    static func problem(with name: String) -> String? {
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
