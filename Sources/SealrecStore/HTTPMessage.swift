import SealrecCrypto

/// One HTTP request as the S3 client builds it; the transport adds nothing but what libcurl needs.
struct HTTPRequest {
    enum Body {
        case empty
        case bytes([UInt8])
        /// `length` bytes of a file starting at `offset`, streamed from disk (never held in memory).
        case fileRange(path: String, offset: Int64, length: Int64)
    }

    var method: String
    var url: String
    var headers: [(String, String)]
    var body: Body = .empty
    /// Paces the body as it is sent (shared with the queue's other transfers).
    var limiter: BandwidthLimiter?
    /// Where the response body goes: memory (small XML answers) or a new file (downloads).
    var downloadPath: String?
    /// The most bytes the download may have; one more aborts the transfer (`unsafeObject`).
    var maxDownloadBytes: Int64 = .max
}

struct HTTPResponse {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    let body: [UInt8]
    /// For downloads: bytes written and their SHA-256.
    let downloadedLength: Int64
    let downloadedSHA256: Digest?

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// How to reach the endpoint: TLS trust and how long to wait before calling it unreachable.
public struct TransportOptions: Sendable {
    /// PEM bundle of the CA(s) that signed the store's certificate (nil: the system's).
    public var caFile: String?
    public var connectTimeoutSeconds: Int
    /// A transfer slower than 1 byte/s for this long is abandoned (a hung server, a dead link).
    public var stallSeconds: Int

    public init(caFile: String? = nil, connectTimeoutSeconds: Int = 10, stallSeconds: Int = 30) {
        self.caFile = caFile
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.stallSeconds = stallSeconds
    }
}
