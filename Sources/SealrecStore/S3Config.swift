/// Everything needed to talk to one bucket. Built from a store URL (`StoreLocation`) or directly.
public struct S3Config: Sendable {
    /// `http://127.0.0.1:8333` or `https://rgw.example:443`; requests are path-style (`/BUCKET/KEY`),
    /// which every on-premises S3 implementation accepts.
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// Prepended to every key (`ROOM/SESSION/` for `sealrec verify s3://BUCKET/ROOM/SESSION`); "" or ends in `/`.
    public var prefix: String
    public var credentialsFile: String
    public var transport: TransportOptions
    /// When > 0, every object is written with Object Lock COMPLIANCE retention for this many days
    /// (the bucket must have Object Lock enabled; the store refuses otherwise, which we report).
    public var retentionDays: Int
    /// Files at least this large go up as multipart uploads in parts of this size (minimum 5 MiB, S3's rule).
    public var multipartThreshold: Int64
    /// Also send Content-MD5: Ceph RGW checks it but ignores x-amz-checksum-sha256. Costs one MD5 pass.
    public var sendContentMD5: Bool

    public init(endpoint: String, region: String = "us-east-1", bucket: String, prefix: String = "",
                credentialsFile: String, transport: TransportOptions = TransportOptions(), retentionDays: Int = 0,
                multipartThreshold: Int64 = 64 << 20, sendContentMD5: Bool = true) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.credentialsFile = credentialsFile
        self.transport = transport
        self.retentionDays = retentionDays
        self.multipartThreshold = max(multipartThreshold, 5 << 20)
        self.sendContentMD5 = sendContentMD5
    }

    /// `host[:port]` as the Host header and the signature need it.
    var host: String {
        let afterScheme = endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
        return afterScheme.map(String.init) ?? endpoint
    }
}
