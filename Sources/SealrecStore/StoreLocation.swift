import Foundation

/// Parses store URLs:
///
///     s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:8333[&region=us-east-1][&credentials=FILE]
///                          [&ca=FILE][&retention-days=N][&multipart-mb=N][&content-md5=0]
///     file:///ABSOLUTE/PATH   or a plain path
///
/// `credentials` defaults to /etc/sealrec/s3-credentials. The PREFIX (and a folder path) is the root
/// the store's keys are relative to: an uploader's store URL names the bucket (and an optional prefix),
/// `sealrec verify` names one session's root (`s3://BUCKET/ROOM/SESSION`).
public enum StoreLocation {
    public static let defaultCredentialsFile = "/etc/sealrec/s3-credentials"

    public static func open(_ text: String) throws(StoreError) -> any ObjectStore {
        if text.hasPrefix("s3://") { return try S3Store(config: s3Config(text)) }
        return FolderStore(root: try folderPath(text))
    }

    public static func isStoreURL(_ text: String) -> Bool { text.hasPrefix("s3://") || text.hasPrefix("file://") }

    public static func folderPath(_ text: String) throws(StoreError) -> String {
        guard text.hasPrefix("file://") else { return text }
        let path = String(text.dropFirst("file://".count))
        guard path.hasPrefix("/") else { throw .invalidLocation("\(text): file URLs need an absolute path (file:///...)") }
        return path.removingPercentEncoding ?? path
    }

    public static func s3Config(_ text: String) throws(StoreError) -> S3Config {
        guard let components = URLComponents(string: text), components.scheme == "s3",
              let bucket = components.host, !bucket.isEmpty else {
            throw .invalidLocation("\(text): expected s3://BUCKET[/PREFIX]?endpoint=URL")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = ["endpoint", "region", "credentials", "ca", "retention-days", "multipart-mb", "content-md5"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidLocation("\(text): unknown parameter '\(unknown)'")
        }
        guard let endpoint = query["endpoint"], endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw .invalidLocation("\(text): needs endpoint=http(s)://HOST:PORT")
        }
        func number(_ name: String, default value: Int) throws(StoreError) -> Int {
            guard let raw = query[name] else { return value }
            guard let n = Int(raw), n >= 0 else { throw .invalidLocation("\(text): \(name) must be a whole number >= 0, not '\(raw)'") }
            return n
        }
        let prefix = components.path.split(separator: "/").joined(separator: "/")
        return S3Config(endpoint: endpoint, region: query["region"] ?? "us-east-1", bucket: bucket, prefix: prefix,
                        credentialsFile: query["credentials"] ?? defaultCredentialsFile,
                        transport: TransportOptions(caFile: query["ca"]),
                        retentionDays: try number("retention-days", default: 0),
                        multipartThreshold: Int64(try number("multipart-mb", default: 64)) << 20,
                        sendContentMD5: query["content-md5"] != "0")
    }
}
