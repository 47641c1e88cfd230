import COpenSSL
import Foundation
import SealrecSystem

/// A room's Ed25519 signing key. Only this process holds it; it never leaves as anything but
/// the 0600 PKCS#8 PEM file written by `write(to:)`.
public struct RoomKey: Sendable {
    let key: EVPKey
    public let publicKey: RoomPublicKey

    init(key: EVPKey) throws(CryptoError) {
        self.key = key
        publicKey = try RoomPublicKey(derivedFrom: key)
    }

    public static func generate() throws(CryptoError) -> RoomKey {
        // EVP_PKEY_Q_keygen is variadic and not importable, hence the explicit context.
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw CryptoError(call: "EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw CryptoError(call: "EVP_PKEY_keygen_init") }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen(ctx, &generated) == 1, let generated else { throw CryptoError(call: "EVP_PKEY_keygen") }
        return try RoomKey(key: EVPKey(generated))
    }

    /// Loads a PKCS#8 PEM private key, refusing a file that group or others can read.
    public static func load(from url: URL) throws(KeyError) -> RoomKey {
        let path = url.path
        let pem = try KeyFileReader.read(path, requireOwnerOnly: true)
        let bio: MemoryBIO
        do { bio = try MemoryBIO(copying: pem) } catch { throw .crypto(error) }
        // A refusing password callback: an encrypted key must fail, not prompt on a terminal.
        guard let loaded = PEM_read_bio_PrivateKey(bio.pointer, nil, { _, _, _, _ in -1 }, nil) else {
            throw .unreadablePEM(path: path, expected: "PKCS#8 private key", reason: CryptoError.drainQueue())
        }
        let key = EVPKey(loaded)
        guard key.isEd25519 else { throw .notEd25519(path: path) }
        do { return try RoomKey(key: key) } catch { throw .crypto(error) }
    }

    /// Writes the key as PKCS#8 PEM into a new file created with mode 0600, then fsyncs it.
    public func write(to url: URL) throws(KeyError) {
        let pem: [UInt8]
        do throws(CryptoError) {
            let bio = try MemoryBIO()
            guard PEM_write_bio_PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil) == 1 else {
                throw CryptoError(call: "PEM_write_bio_PrivateKey")
            }
            pem = bio.readAll()
        } catch { throw .crypto(error) }
        try writeKeyFile(url.path, pem, mode: 0o600)
    }

    /// A 64-byte Ed25519 signature over `message` (one-shot: Ed25519 has no streaming mode).
    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        let ctx = try EVPDigestContext()
        guard EVP_DigestSignInit(ctx.pointer, nil, nil, nil, key.pointer) == 1 else {
            throw CryptoError(call: "EVP_DigestSignInit")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        let status = message.withUnsafeBytes { msg in
            EVP_DigestSign(ctx.pointer, &signature, &length, msg.bindMemory(to: UInt8.self).baseAddress, msg.count)
        }
        guard status == 1, length == 64 else { throw CryptoError(call: "EVP_DigestSign") }
        return signature
    }
}

/// A room's public key; its identity is the SHA-256 of its DER SubjectPublicKeyInfo.
public struct RoomPublicKey: Sendable, Equatable {
    let key: EVPKey
    /// DER SubjectPublicKeyInfo, the bytes `openssl pkey -pubin -outform DER` prints.
    public let spkiDER: [UInt8]

    init(derivedFrom key: EVPKey) throws(CryptoError) {
        self.key = key
        let length = i2d_PUBKEY(key.pointer, nil)
        guard length > 0 else { throw CryptoError(call: "i2d_PUBKEY") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key.pointer, &cursor)
        }
        guard written == length else { throw CryptoError(call: "i2d_PUBKEY") }
        spkiDER = der
    }

    /// Parses a SubjectPublicKeyInfo PEM; `path` only names the source in errors.
    public init(pem: [UInt8], path: String = "<memory>") throws(KeyError) {
        let bio: MemoryBIO
        do { bio = try MemoryBIO(copying: pem) } catch { throw .crypto(error) }
        guard let loaded = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw .unreadablePEM(path: path, expected: "public key", reason: CryptoError.drainQueue())
        }
        let key = EVPKey(loaded)
        guard key.isEd25519 else { throw .notEd25519(path: path) }
        do { try self.init(derivedFrom: key) } catch { throw .crypto(error) }
    }

    public static func load(from url: URL) throws(KeyError) -> RoomPublicKey {
        try RoomPublicKey(pem: KeyFileReader.read(url.path, requireOwnerOnly: false), path: url.path)
    }

    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo; a reviewer gets the same with
    /// `openssl pkey -pubin -in room.pub.pem -outform DER | sha256sum`.
    public var fingerprint: String { SHA256Hasher.hash(spkiDER).hex }

    /// The key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
    public func pem() throws(CryptoError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 else { throw CryptoError(call: "PEM_write_bio_PUBKEY") }
        return bio.readAll()
    }

    /// Writes the PEM into a new world-readable file (mode 0644); never overwrites.
    public func write(to url: URL) throws(KeyError) {
        let bytes: [UInt8]
        do { bytes = try pem() } catch { throw .crypto(error) }
        try writeKeyFile(url.path, bytes, mode: 0o644)
    }

    /// True only for a valid Ed25519 signature of exactly `message` by this key.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == 64, let ctx = try? EVPDigestContext() else { return false }
        guard EVP_DigestVerifyInit(ctx.pointer, nil, nil, nil, key.pointer) == 1 else {
            _ = CryptoError.drainQueue()
            return false
        }
        let status = message.withUnsafeBytes { msg in
            EVP_DigestVerify(ctx.pointer, signature, signature.count, msg.bindMemory(to: UInt8.self).baseAddress, msg.count)
        }
        // A failed verification leaves reasons on the queue; clear them so they do not
        // surface in an unrelated later error.
        if status != 1 { _ = CryptoError.drainQueue() }
        return status == 1
    }

    public static func == (lhs: RoomPublicKey, rhs: RoomPublicKey) -> Bool { lhs.spkiDER == rhs.spkiDER }
}

private func writeKeyFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(KeyError) {
    do {
        try DurableFile.writeNew(path, bytes: bytes, mode: mode)
    } catch where error.alreadyExists {
        throw .alreadyExists(path: path)
    } catch {
        throw .file(error)
    }
}
