import Foundation
import Testing
import SealrecAccess
import SealrecCrypto
import SealrecStore
import TestSupport

/// Grant and revocation files are read with the manifest's line splitter: a planted file must give
/// a clear error, never bring `sealrec grants`/`fetch` down.
@Suite struct PlantedRecordTests {
    /// Case 2 of issue 15: `x,"sig":"}` made the splitter trap (the marker overlaps the closing `"}`).
    @Test func aGrantWhoseSignatureMarkerOverlapsTheEndIsABadGrant() throws {
        let dir = Scratch("planted")
        defer { dir.remove() }
        let key = try RoomKey.generate()
        try FileManager.default.createDirectory(atPath: dir.file("grants"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("revocations"), withIntermediateDirectories: true)
        try Data(#"x,"sig":"}"#.utf8).write(to: URL(fileURLWithPath: dir.file("grants/planted.json")))
        try Data("x,\"sig\":\"}\n".utf8).write(to: URL(fileURLWithPath: dir.file("revocations/planted.json")))
        let service = GrantService(store: ObjectGrantStore(store: FolderStore(root: dir.path)))
        #expect {
            try service.grant(id: "planted", trusted: [key.publicKey])
        } throws: { error in
            guard case .badGrant(let message) = error as? AccessFailure else { return false }
            return message.contains(#"not a signed record: line does not end with a ,"sig":"..."} member"#)
        }
        #expect(try service.revocation(id: "planted", trusted: [key.publicKey]) == nil)
        #expect(try service.list(sessionID: "any", trusted: [key.publicKey]).isEmpty)
        #expect(throws: (any Error).self) { try ChainHead.of(manifest: Data("x,\"sig\":\"}\n".utf8)) }
    }
}
