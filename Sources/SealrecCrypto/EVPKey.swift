import COpenSSL

/// Owns one `EVP_PKEY`. The key is never mutated after construction, and OpenSSL 3 allows
/// concurrent read-only use of a key, so sharing it across tasks is safe.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// Whether libcrypto considers this an Ed25519 key (PEM files may hold any key type).
    var isEd25519: Bool { EVP_PKEY_get_id(pointer) == EVP_PKEY_ED25519 }
}

/// Owns one `EVP_MD_CTX`, used for a single one-shot sign or verify.
final class EVPDigestContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError(call: "EVP_MD_CTX_new") }
        pointer = ctx
    }
    deinit { EVP_MD_CTX_free(pointer) }
}

/// Owns one memory `BIO`, the bridge between PEM text and OpenSSL's PEM readers/writers.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty, writable BIO.
    init() throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError(call: "BIO_new") }
        pointer = bio
    }

    /// A BIO holding a copy of `bytes`, for reading (the copy keeps the BIO self-contained).
    init(copying bytes: [UInt8]) throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError(call: "BIO_new") }
        pointer = bio
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        guard written == bytes.count else { throw CryptoError(call: "BIO_write") }
    }
    deinit { BIO_free(pointer) }

    /// Everything written so far (BIO_get_mem_data is a macro Swift cannot import, so read it out).
    func readAll() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { break }
            out += chunk.prefix(Int(n))
        }
        return out
    }
}
