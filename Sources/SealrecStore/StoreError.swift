/// Why a store operation failed, in terms an operator can act on. Each case is a different fix:
/// credentials are rejected (fix the credentials file), the bucket does not exist (create it or fix
/// the URL), the endpoint cannot be reached (network or server down), the store rejected or holds
/// different bytes (corruption in flight or on disk), ...
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The store refused our signature or access key (HTTP 403 InvalidAccessKeyId, SignatureDoesNotMatch).
    case badCredentials(store: String, detail: String)
    /// The credentials are valid but may not do this (HTTP 403 AccessDenied).
    case accessDenied(store: String, detail: String)
    /// The bucket named in the store URL does not exist (NoSuchBucket).
    case missingBucket(bucket: String)
    /// No connection, a reset connection, or a timeout talking to the endpoint.
    case unreachable(endpoint: String, detail: String)
    /// TLS failed (unknown CA, bad certificate): not retried into success by waiting alone.
    case tls(endpoint: String, detail: String)
    /// Bytes did not match their SHA-256/MD5: rejected by the store (BadDigest) or found after the fact.
    case checksumMismatch(key: String, expected: String, actual: String)
    /// The key already holds different content; sealed objects are never overwritten.
    case conflictingObject(key: String, detail: String)
    /// No object under this key.
    case notFound(key: String)
    /// Any other answer from the server, with its S3 error code and message.
    case server(status: Int, code: String, message: String, key: String)
    /// The credentials file is missing, unreadable, malformed or readable by others.
    case credentialsFile(path: String, detail: String)
    /// The store URL or configuration cannot be used.
    case invalidLocation(String)
    /// What the store holds under this key is not a plain object we may read: a symbolic link, a FIFO
    /// or device, or more bytes than the object may have (a segment longer than its manifest states).
    case unsafeObject(key: String, detail: String)
    /// A local file (the segment to send, the spool, a download target) could not be used.
    case localFile(path: String, detail: String)

    /// A short stable tag for logs, `status` and tests.
    public var kind: String {
        switch self {
        case .badCredentials: "bad_credentials"
        case .accessDenied: "access_denied"
        case .missingBucket: "missing_bucket"
        case .unreachable: "unreachable_endpoint"
        case .tls: "tls"
        case .checksumMismatch: "checksum_mismatch"
        case .conflictingObject: "conflicting_object"
        case .notFound: "not_found"
        case .server: "server_error"
        case .credentialsFile: "credentials_file"
        case .invalidLocation: "invalid_location"
        case .unsafeObject: "unsafe_object"
        case .localFile: "local_file"
        }
    }

    public var description: String {
        switch self {
        case let .badCredentials(store, detail): "bad credentials for \(store): \(detail)"
        case let .accessDenied(store, detail): "access denied by \(store): \(detail)"
        case let .missingBucket(bucket): "bucket '\(bucket)' does not exist"
        case let .unreachable(endpoint, detail): "cannot reach \(endpoint): \(detail)"
        case let .tls(endpoint, detail): "TLS failure talking to \(endpoint): \(detail)"
        case let .checksumMismatch(key, expected, actual): "checksum mismatch for \(key): expected \(expected), got \(actual)"
        case let .conflictingObject(key, detail): "\(key) already exists with different content (\(detail)); not overwritten"
        case let .notFound(key): "\(key): no such object"
        case let .server(status, code, message, key): "\(key): store answered HTTP \(status) \(code): \(message)"
        case let .credentialsFile(path, detail): "credentials file \(path): \(detail)"
        case let .invalidLocation(detail): "invalid store location: \(detail)"
        case let .unsafeObject(key, detail): "\(key) in the store \(detail)"
        case let .localFile(path, detail): "\(path): \(detail)"
        }
    }
}
