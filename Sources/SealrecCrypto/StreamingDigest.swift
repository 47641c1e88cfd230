import COpenSSL

/// One streaming EVP message digest (SHA-256, MD5): the shared machinery behind the hashers.
/// Not thread-safe: one context belongs to one writer.
final class StreamingDigest {
    private let context: OpaquePointer

    init(_ algorithm: OpaquePointer?, name: String) {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        context = ctx
        // The digests used here are always compiled into libcrypto; failure means a broken install.
        precondition(EVP_DigestInit_ex(context, algorithm, nil) == 1, "EVP_DigestInit_ex(\(name)) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1, "EVP_DigestFinal_ex failed")
        return Digest(bytes: Array(out.prefix(Int(length))))
    }
}
