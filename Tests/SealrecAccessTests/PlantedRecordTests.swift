import Foundation
import Testing
import SealrecAccess
import SealrecCrypto
import SealrecFormat
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

/// Grant bodies are read by the manifest's strict parser: a body with a member twice is refused,
/// since two readers could take different copies (a grant "for" one session to one tool and another
/// to the next). Before issue 17 it was read with JSONSerialization and the last copy won.
@Suite struct DuplicateMemberGrantTests {
    @Test func aValidlySignedGrantWithADuplicateMemberIsRefused() throws {
        let dir = Scratch("duplicate")
        defer { dir.remove() }
        let key = try RoomKey.generate()
        let store = ObjectGrantStore(store: FolderStore(root: dir.path))
        func members(_ extra: [JSONMember]) -> [JSONMember] {
            [JSONMember("type", .string("grant")), JSONMember("grant_id", .string("dup")),
             JSONMember("session_id", .string("S-first")), JSONMember("room_id", .string("room")),
             JSONMember("grantee", .string("A. Lawyer")), JSONMember("role", .string("lawyer")),
             JSONMember("issued", .string("2026-01-01T00:00:00.000000Z")), JSONMember("expires", .string("2099-01-01T00:00:00.000000Z")),
             JSONMember("chain", .string(String(repeating: "0", count: 64))),
             JSONMember("issuer_fingerprint", .string(key.publicKey.fingerprint))] + extra
        }
        let service = GrantService(store: store)
        // The same grant without the second member is read: the refusal below is the duplicate's.
        try store.create("grants/dup.json", try SignedRecord.make(members([]), key: key))
        #expect(try service.grant(id: "dup", trusted: [key.publicKey]).sessionID == "S-first")

        let twice = try SignedRecord.make(members([JSONMember("session_id", .string("S-second"))]), key: key)
        #expect {
            try SignedRecord.open(twice, trusted: [key.publicKey])
        } throws: { error in
            "\(error)".contains(#"duplicate member "session_id""#)
        }
        try store.create("grants/dup2.json", twice)
        #expect {
            try service.grant(id: "dup2", trusted: [key.publicKey])
        } throws: { error in
            guard case .badGrant(let message) = error as? AccessFailure else { return false }
            return message.contains(#"the signed body is not acceptable: body is not canonical JSON: duplicate member "session_id""#)
        }
        // A revocation with a member twice is no revocation; without the second copy it is one.
        func revocation(_ id: String, _ extra: [JSONMember]) throws -> Data {
            try SignedRecord.make([
                JSONMember("type", .string("revocation")), JSONMember("grant_id", .string(id)),
                JSONMember("revoked", .string("2026-01-02T00:00:00.000000Z")), JSONMember("reason", .string("lost")),
            ] + extra, key: key)
        }
        try store.create("revocations/dup.json", try revocation("dup", []))
        #expect(try service.revocation(id: "dup", trusted: [key.publicKey])?.1 == "lost")
        try store.create("revocations/dup2.json", try revocation("dup2", [JSONMember("reason", .string("found"))]))
        #expect(try service.revocation(id: "dup2", trusted: [key.publicKey]) == nil)
    }
}
