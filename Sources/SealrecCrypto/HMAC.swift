import COpenSSL

/// HMAC-SHA256 through OpenSSL 3's EVP_MAC one-shot (the old HMAC() call is deprecated);
/// AWS Signature V4 derives its signing key and signs with it.
public enum HMACSHA256 {
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let result = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, k.baseAddress, k.count, m.baseAddress, m.count,
                          &out, out.count, &length)
            }
        }
        // HMAC-SHA256 is always present in libcrypto's default provider; failure means a broken install.
        precondition(result != nil && length == 32, "EVP_Q_mac(HMAC-SHA256) failed: \(CryptoError.drainQueue())")
        return out
    }
}
