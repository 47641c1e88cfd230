import SealrecFormat

/// Where a session's objects live in a store (keys relative to the store's root):
///
///     ROOM/SESSION/seg-00000.mp4               each sealed segment, under its own file name
///     ROOM/SESSION/room.pub.pem                the room's public key
///     ROOM/SESSION/manifest/00000000.jsonl     manifest entry seq 0 (one line, with its "\n")
///     ROOM/SESSION/manifest/00000001.jsonl     ... one object per entry, uploaded as each is sealed
///     ROOM/SESSION/manifest.jsonl              the whole manifest, once, when the session has ended
///     ROOM/SESSION/index.m3u8                  the HLS playlist, once, when the session has ended
///
/// Objects are written once and never replaced (Object Lock forbids it anyway), so a growing manifest
/// is uploaded entry by entry; joining the entries in order gives back `manifest.jsonl` byte for byte.
public struct SessionLayout: Sendable, Equatable {
    public let room: String
    public let session: String

    /// Room and session ids become key parts: anything outside `[A-Za-z0-9._-]` becomes `_`.
    public init(room: String, session: String) {
        self.room = Self.keySafe(room)
        self.session = Self.keySafe(session)
    }

    public var root: String { "\(room)/\(session)/" }
    public func segment(_ fileName: String) -> String { root + fileName }
    public var publicKey: String { root + SessionFiles.publicKey }
    public var manifest: String { root + SessionFiles.manifest }
    public var playlist: String { root + SessionFiles.playlist }
    public func manifestEntry(_ seq: Int) -> String { root + Self.entryName(seq) }

    public static let entryFolder = "manifest/"
    static func entryName(_ seq: Int) -> String {
        let digits = String(seq)
        return entryFolder + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".jsonl"
    }

    static func keySafe(_ text: String) -> String {
        let safe = String(text.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": Character(scalar)
            default: "_"
            }
        })
        return safe.isEmpty || safe.hasPrefix(".") ? "_" + safe : safe
    }
}
