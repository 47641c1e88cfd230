import Foundation
import Testing
import SealrecAccess
import SealrecCrypto
import SealrecStore
import TestSupport

/// A folder store that counts how often it was touched (a mistyped code must not touch it).
final class CountingStore: GrantStore, @unchecked Sendable {
    let inner: ObjectGrantStore
    private let lock = NSLock()
    private var count = 0
    init(root: String) { inner = ObjectGrantStore(store: FolderStore(root: root)) }
    var accesses: Int { lock.lock(); defer { lock.unlock() }; return count }
    private func touch() { lock.lock(); count += 1; lock.unlock() }
    var name: String { inner.name }
    func read(_ key: String) throws -> Data? { touch(); return try inner.read(key) }
    func create(_ key: String, _ data: Data) throws { touch(); try inner.create(key, data) }
    func list(prefix: String) throws -> [String] { touch(); return try inner.list(prefix: prefix) }
    func manifest(ofSession id: String) throws -> Data { touch(); return try inner.manifest(ofSession: id) }
    func downloadSession(_ id: String, into folder: String, trusted: [RoomPublicKey]?) throws { touch(); try inner.downloadSession(id, into: folder, trusted: trusted) }
}

/// Sealed sessions made by `sealrec record`, placed in a folder store as ROOT/ROOM/SESSION.
struct StoreFixture {
    let root: String
    let keyDir: String
    let key: RoomKey
    let sessions: [String]

    static func make(sessions count: Int = 2) throws -> StoreFixture {
        let dir = Scratch("store")
        let keyDir = dir.file("keys")
        #expect(try Run.sealrec(["keygen", "--out", keyDir]).status == 0)
        let root = dir.file("store")
        var ids: [String] = []
        for i in 0..<count {
            let out = dir.file("rec\(i)")
            let r = try Run.sealrec(["record", "--duration", "2", "--fast", "--out", out, "--key", keyDir + "/room.key",
                                     "--config", try config(dir)])
            #expect(r.status == 0, "\(r.stderr)")
            let id = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("session ") }).dropFirst("session ".count)
            try FileManager.default.createDirectory(atPath: root + "/demo-room", withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: out, toPath: root + "/demo-room/" + id)
            ids.append(String(id))
        }
        return StoreFixture(root: root, keyDir: keyDir, key: try RoomKey.load(from: URL(fileURLWithPath: keyDir + "/room.key")), sessions: ids)
    }

    static func config(_ dir: Scratch) throws -> String {
        let path = dir.file("room.json")
        try #"{"cameras": [{"width": 320, "height": 240}], "segmentSeconds": 1}"#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct GrantTests {
    static let fixture = try! StoreFixture.make()

    private func fresh() -> String { Scratch("fetch").path + "/out" }

    @Test func fetchWithAValidCodeOrQRVerifies() throws {
        let f = Self.fixture
        let service = GrantService(store: ObjectGrantStore(store: FolderStore(root: f.root)))
        let minted = try service.mint(sessionID: f.sessions[0], grantee: "A. Lawyer", role: "lawyer", validFor: 3600, key: f.key)
        let byCode = try service.fetch(minted.code.description, into: fresh(), trusted: [f.key.publicKey])
        #expect(byCode.report.verdict == .verified && byCode.grant.grantee == "A. Lawyer")
        let byQR = try service.fetch(minted.uri.string, into: fresh(), trusted: [f.key.publicKey])
        #expect(byQR.grant.sessionID == f.sessions[0])
        let listed = try service.list(sessionID: f.sessions[0], trusted: [f.key.publicKey]).first { $0.grant.grantID == minted.grant.grantID }
        #expect(listed?.status == "active" && listed?.uses == 2)
        // The store keeps the derived id, never the code.
        let stored = try String(contentsOfFile: f.root + "/grants/\(minted.code.grantID).json", encoding: .utf8)
        #expect(!stored.contains(minted.code.canonical) && !stored.contains(minted.code.description))
    }

    @Test func mistypedCodesAreRefusedBeforeTheStoreIsTouched() throws {
        let f = Self.fixture
        let minted = try GrantService(store: ObjectGrantStore(store: FolderStore(root: f.root))).mint(sessionID: f.sessions[0], grantee: "J. Judge", role: "judge",
                                                                                  validFor: 3600, key: f.key)
        let counting = CountingStore(root: f.root)
        let service = GrantService(store: counting)
        var typo = Array(minted.code.canonical)
        typo[5] = typo[5] == "7" ? "8" : "7"
        var swapped = Array(minted.code.canonical)
        let i = (0..<13).first { swapped[$0] != swapped[$0 + 1] }!
        swapped.swapAt(i, i + 1)
        for bad in [String(typo), String(swapped)] {
            #expect { try service.fetch(bad, into: fresh(), trusted: [f.key.publicKey]) } throws: { error in
                if case AccessFailure.mistyped = error { return true }
                return false
            }
        }
        #expect(counting.accesses == 0)
    }

    @Test func expiredAndRevokedCodesAreRefused() throws {
        let f = Self.fixture
        let service = GrantService(store: ObjectGrantStore(store: FolderStore(root: f.root)))
        let old = try service.mint(sessionID: f.sessions[0], grantee: "Late", role: "lawyer", validFor: 60, key: f.key,
                                   now: Date().addingTimeInterval(-3600))
        #expect { try service.fetch(old.code.description, into: fresh(), trusted: [f.key.publicKey]) } throws: { error in
            if case AccessFailure.expired = error { return true }
            return false
        }
        let revoked = try service.mint(sessionID: f.sessions[0], grantee: "Withdrawn", role: "lawyer", validFor: 3600, key: f.key)
        _ = try service.revoke(code: revoked.code, reason: "application withdrawn", key: f.key)
        #expect { try service.fetch(revoked.code.description, into: fresh(), trusted: [f.key.publicKey]) } throws: { error in
            if case AccessFailure.revoked(_, let reason) = error { return reason == "application withdrawn" }
            return false
        }
        // An unknown (well-formed) code.
        #expect { try service.fetch(try AccessCode.random().description, into: fresh(), trusted: [f.key.publicKey]) } throws: { error in
            (error as? AccessFailure) == .unknown
        }
        let statuses = Dictionary(try service.list(sessionID: f.sessions[0], trusted: [f.key.publicKey]).map { ($0.grant.grantee, $0.status) }) { a, _ in a }
        #expect(statuses["Late"] == "expired" && statuses["Withdrawn"] == "revoked")
        // Every attempt that reached the store is in the session's access log.
        let log = try FileManager.default.contentsOfDirectory(atPath: f.root + "/access-log/" + f.sessions[0])
        #expect(log.count >= 2)
    }

    @Test func alteredOrReplacedRecordingsFailOnFetch() throws {
        let f = try StoreFixture.make()
        let service = GrantService(store: ObjectGrantStore(store: FolderStore(root: f.root)))
        let a = try service.mint(sessionID: f.sessions[0], grantee: "Expert", role: "expert", validFor: 3600, key: f.key)
        let b = try service.mint(sessionID: f.sessions[1], grantee: "Expert", role: "expert", validFor: 3600, key: f.key)
        // Session A: one byte changed in a stored segment.
        let seg = f.root + "/demo-room/" + f.sessions[0] + "/seg-00001.mp4"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: seg))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: seg))
        #expect { try service.fetch(a.uri.string, into: fresh(), trusted: [f.key.publicKey]) } throws: { error in
            if case AccessFailure.verificationFailed(let text) = error { return text.contains("seg-00001.mp4") }
            return false
        }
        // Session B replaced wholesale by another valid session of the same room: it verifies on its
        // own, but not against the chain hash on the paper.
        let folderB = f.root + "/demo-room/" + f.sessions[1]
        let other = try StoreFixture.make(sessions: 1)
        let replacement = other.root + "/demo-room/" + other.sessions[0]
        try FileManager.default.removeItem(atPath: folderB)
        try FileManager.default.copyItem(atPath: replacement, toPath: folderB)
        for input in [b.uri.string, b.code.description] {
            #expect { try service.fetch(input, into: fresh(), trusted: [f.key.publicKey, other.key.publicKey]) } throws: { error in
                if case AccessFailure.chainMismatch = error { return true }
                return false
            }
        }
    }

    @Test func aThousandCodesAreDistinctValidAndNeverCollideInTheStore() throws {
        let f = Self.fixture
        let root = Scratch("thousand").path
        let store = ObjectGrantStore(store: FolderStore(root: root))
        try FileManager.default.createDirectory(atPath: root + "/demo-room", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.root + "/demo-room/" + f.sessions[1], toPath: root + "/demo-room/" + f.sessions[1])
        let service = GrantService(store: store)
        var codes = Set<String>()
        for i in 0..<1000 {
            let m = try service.mint(sessionID: f.sessions[1], grantee: "Reviewer \(i)", role: "lawyer", validFor: 3600, key: f.key)
            #expect(try AccessCode.parse(m.code.description) == m.code)
            codes.insert(m.code.canonical)
        }
        #expect(codes.count == 1000)
        #expect(try store.list(prefix: "grants/").count == 1000)
    }
}
