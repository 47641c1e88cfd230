import COpenSSL

/// Random bytes from OpenSSL's CSPRNG (seeded from the kernel): for access codes and nonces.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw CryptoError(call: "RAND_bytes") }
        return out
    }
}

/// PBKDF2-HMAC-SHA256: a slow, salted derivation, so a store that leaks its grant ids does not
/// hand out the codes behind them.
public enum KeyDerivation {
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                PKCS5_PBKDF2_HMAC(p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(p.count),
                                  s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(), Int32(length), &out)
            }
        }
        guard ok == 1 else { throw CryptoError(call: "PKCS5_PBKDF2_HMAC") }
        return out
    }
}
