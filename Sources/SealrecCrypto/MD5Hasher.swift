import COpenSSL

/// Streaming MD5, only for HTTP's `Content-MD5`: some S3 stores (Ceph RGW) verify it but ignore
/// `x-amz-checksum-sha256`, so an uploader that must know the store got the right bytes sends both.
/// Never used for evidence integrity (that is SHA-256).
public final class MD5Hasher {
    private let context = StreamingDigest(EVP_md5(), name: "md5")

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) { context.update(bytes) }

    public func finalize() -> Digest { context.finalize() }
}
