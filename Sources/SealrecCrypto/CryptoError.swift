import COpenSSL

/// A libcrypto call that failed, with OpenSSL's own reason string from its error queue.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let reason: String

    public init(call: String, reason: String? = nil) {
        self.call = call
        self.reason = reason ?? CryptoError.drainQueue()
    }

    public var description: String { "\(call): \(reason)" }

    /// Reads and clears OpenSSL's thread-local error queue so errors never leak into a later call.
    static func drainQueue() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "failed" : reasons.joined(separator: "; ")
    }
}
