import Foundation
import SealrecCrypto
import SealrecFormat

/// AWS Signature Version 4 for S3 (header-based authorization, path-style requests).
/// The payload hash is passed in: a real SHA-256 when we know it (the store then checks the body
/// against the signature too), `UNSIGNED-PAYLOAD` otherwise.
struct SignatureV4 {
    let credentials: Credentials
    let region: String
    let service = "s3"

    static let unsignedPayload = "UNSIGNED-PAYLOAD"
    static let emptyPayload = SHA256Hasher.hash([UInt8]()).hex

    /// Returns `headers` plus `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    /// `path` is already URI-encoded; `query` pairs are raw (encoded here, sorted as V4 requires).
    func sign(method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)],
              payloadHash: String, date: Date = Date()) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
        all.append(("host", host))
        all.append(("x-amz-date", amzDate))
        all.append(("x-amz-content-sha256", payloadHash))
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            method, path, Self.canonicalQuery(query),
            all.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope,
                            SHA256Hasher.hash(Array(canonicalRequest.utf8)).hex].joined(separator: "\n")
        var key = HMACSHA256.authenticate(Array(day.utf8), key: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [region, service, "aws4_request"] { key = HMACSHA256.authenticate(Array(part.utf8), key: key) }
        let signature = Digest(bytes: HMACSHA256.authenticate(Array(stringToSign.utf8), key: key)).hex
        var out = all.filter { $0.0 != "host" }
        out.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                        + "SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return out
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(String, String)] = query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        return sorted.map { (pair: (String, String)) -> String in pair.0 + "=" + pair.1 }.joined(separator: "&")
    }

    /// RFC 3986 encoding as V4 defines it: only A-Z a-z 0-9 - . _ ~ stay (and `/` in paths).
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E:  // A-Z a-z 0-9 - . _ ~
                out.unicodeScalars.append(UnicodeScalar(byte))
            case 0x2F where keepSlash:  // "/"
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        let amzDate = RFC3339.compact(date)
        return (amzDate, String(amzDate.prefix(8)))
    }
}
