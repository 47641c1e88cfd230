import Foundation
import Testing
@testable import SealrecCrypto

/// A fresh empty directory per test, removed afterwards.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sealrec-crypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

private func mode(of url: URL) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Runs a tool and returns (status, stdout).
private func run(_ tool: String, _ arguments: [String], stdin: URL? = nil) throws -> (Int32, Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

@Suite struct Ed25519Tests {
    @Test func signVerifyRoundTrip() throws {
        let key = try RoomKey.generate()
        let message = Array("interview room 4, seq 0".utf8)
        let signature = try key.sign(message)
        #expect(signature.count == 64)
        #expect(key.publicKey.verify(signature: signature, message: message))
        #expect(!key.publicKey.verify(signature: signature, message: message + [0]))
        var flipped = signature
        flipped[10] ^= 1
        #expect(!key.publicKey.verify(signature: flipped, message: message))
        #expect(!key.publicKey.verify(signature: Array(signature.prefix(63)), message: message))
        let other = try RoomKey.generate()
        #expect(!other.publicKey.verify(signature: signature, message: message))
    }

    @Test func writeAndLoadKeepIdentity() throws {
        let dir = try ScratchDirectory()
        let key = try RoomKey.generate()
        try key.write(to: dir.file("room.key"))
        try key.publicKey.write(to: dir.file("room.pub.pem"))
        #expect(try mode(of: dir.file("room.key")) == 0o600)
        #expect(try mode(of: dir.file("room.pub.pem")) == 0o644)
        let pemText = try String(contentsOf: dir.file("room.key"), encoding: .utf8)
        #expect(pemText.hasPrefix("-----BEGIN PRIVATE KEY-----"))

        let loaded = try RoomKey.load(from: dir.file("room.key"))
        let loadedPublic = try RoomPublicKey.load(from: dir.file("room.pub.pem"))
        #expect(loaded.publicKey == key.publicKey)
        #expect(loadedPublic == key.publicKey)
        let signature = try loaded.sign([1, 2, 3])
        #expect(loadedPublic.verify(signature: signature, message: [1, 2, 3]))
    }

    /// A deployment may keep the room key behind a link (/etc/sealrec/room.key -> the key store):
    /// keys the operator names are read through links, but only a regular file is read at all.
    @Test func keysBehindALinkLoadButALinkToADeviceIsRefused() throws {
        let dir = try ScratchDirectory()
        let key = try RoomKey.generate()
        try key.write(to: dir.file("room.key"))
        try key.publicKey.write(to: dir.file("room.pub.pem"))
        try FileManager.default.createSymbolicLink(at: dir.file("linked.key"), withDestinationURL: dir.file("room.key"))
        try FileManager.default.createSymbolicLink(at: dir.file("linked.pem"), withDestinationURL: dir.file("room.pub.pem"))
        #expect(try RoomKey.load(from: dir.file("linked.key")).publicKey == key.publicKey)
        #expect(try RoomPublicKey.load(from: dir.file("linked.pem")) == key.publicKey)
        try FileManager.default.createSymbolicLink(at: dir.file("zero.pem"), withDestinationURL: URL(fileURLWithPath: "/dev/zero"))
        do {
            _ = try RoomPublicKey.load(from: dir.file("zero.pem"))
            Issue.record("a link to /dev/zero was read as a key")
        } catch {
            #expect("\(error)".contains("character device"), "\(error)")
        }
    }

    @Test func neverOverwrites() throws {
        let dir = try ScratchDirectory()
        let key = try RoomKey.generate()
        try key.write(to: dir.file("room.key"))
        #expect {
            try RoomKey.generate().write(to: dir.file("room.key"))
        } throws: { error in
            guard case .alreadyExists(let path) = error as? KeyError else { return false }
            return path.hasSuffix("room.key")
        }
        #expect(try RoomKey.load(from: dir.file("room.key")).publicKey == key.publicKey)
    }

    @Test(arguments: [0o640, 0o604, 0o644, 0o660])
    func refusesPrivateKeyReadableByOthers(permissions: Int) throws {
        let dir = try ScratchDirectory()
        try RoomKey.generate().write(to: dir.file("room.key"))
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: dir.file("room.key").path)
        #expect {
            _ = try RoomKey.load(from: dir.file("room.key"))
        } throws: { error in
            guard case .privateKeyReadableByOthers(let path, let mode) = error as? KeyError else { return false }
            let text = String(describing: error)
            return path == dir.file("room.key").path && Int(mode & 0o777) == permissions
                && text.contains(path) && text.contains(String(permissions, radix: 8))
        }
    }

    @Test func rejectsGarbageAndWrongKeyKinds() throws {
        let dir = try ScratchDirectory()
        try Data("not a key".utf8).write(to: dir.file("junk.pem"))
        #expect(throws: KeyError.self) { try RoomPublicKey.load(from: dir.file("junk.pem")) }
        #expect(throws: KeyError.self) { try RoomKey.load(from: dir.file("missing.key")) }
        // An RSA public key is valid PEM but not an Ed25519 room key.
        let (status, _) = try run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
                                              "-out", dir.file("rsa.key").path])
        #expect(status == 0)
        _ = try run("openssl", ["pkey", "-in", dir.file("rsa.key").path, "-pubout", "-out", dir.file("rsa.pub").path])
        #expect {
            _ = try RoomPublicKey.load(from: dir.file("rsa.pub"))
        } throws: { error in
            if case .notEd25519 = error as? KeyError { return true }
            return false
        }
    }

    /// The files must be usable with plain openssl, and the fingerprint reproducible by a reviewer.
    @Test func interoperatesWithOpenSSLCLI() throws {
        let dir = try ScratchDirectory()
        let key = try RoomKey.generate()
        try key.write(to: dir.file("room.key"))
        try key.publicKey.write(to: dir.file("room.pub.pem"))

        let (status, der) = try run("openssl", ["pkey", "-pubin", "-in", dir.file("room.pub.pem").path, "-outform", "DER"])
        #expect(status == 0)
        #expect(SHA256Hasher.hash(Array(der)).hex == key.publicKey.fingerprint)
        #expect(key.publicKey.fingerprint.count == 64)

        // openssl verifies our signature...
        let message = Array("body bytes".utf8)
        try Data(message).write(to: dir.file("msg"))
        try Data(try key.sign(message)).write(to: dir.file("sig"))
        let (verified, _) = try run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", dir.file("room.pub.pem").path,
                                                "-rawin", "-in", dir.file("msg").path, "-sigfile", dir.file("sig").path])
        #expect(verified == 0)
        // ...and we verify openssl's signature made with our private key file.
        let (signed, openSSLSignature) = try run("openssl", ["pkeyutl", "-sign", "-inkey", dir.file("room.key").path,
                                                             "-rawin", "-in", dir.file("msg").path])
        #expect(signed == 0)
        #expect(key.publicKey.verify(signature: Array(openSSLSignature), message: message))
    }

    @Test func keyIsSendableAcrossTasks() async throws {
        let key = try RoomKey.generate()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let message = [UInt8](repeating: UInt8(i), count: 100)
                    return key.publicKey.verify(signature: try key.sign(message), message: message)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
