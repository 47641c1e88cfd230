import Foundation
import SealrecCrypto
import SealrecFormat

/// An S3-compatible bucket (Ceph RGW, SeaweedFS, MinIO, AWS) over libcurl with Signature V4.
///
/// Every PUT carries the sealed SHA-256 three ways: as the signed payload hash, as
/// `x-amz-checksum-sha256` (the store recomputes it and rejects other bytes with BadDigest) and, for
/// stores that ignore that header, as `Content-MD5` of the same bytes. The object is then confirmed
/// with a HEAD before the caller may forget it.
public final class S3Store: ObjectStore, @unchecked Sendable {
    public let config: S3Config
    let client: CurlClient

    public init(config: S3Config) {
        self.config = config
        client = CurlClient(options: config.transport)
    }

    public var description: String { "s3://\(config.bucket)/\(config.prefix) at \(config.endpoint)" }

    // MARK: ObjectStore

    @discardableResult
    public func put(file: String, key: String, sha256: Digest, length: Int64, limiter: BandwidthLimiter?) throws(StoreError) -> ObjectInfo {
        // Idempotent keys: a retry after a lost answer, or after a crash, finds the object already there.
        if let existing = try headResponse(key: key) {
            return try confirmExisting(existing, file: file, key: key, sha256: sha256, length: length)
        }
        if length >= config.multipartThreshold {
            return try S3MultipartUpload(store: self, file: file, key: key, sha256: sha256, length: length,
                                         limiter: limiter).run()
        }
        let digests = try FileDigests.compute(path: file, length: length, md5: config.sendContentMD5)
        guard digests.sha256 == sha256 else {
            throw .checksumMismatch(key: file, expected: sha256.hex, actual: "\(digests.sha256.hex) (local file changed since it was sealed)")
        }
        var headers = [("x-amz-checksum-sha256", sha256.base64), ("if-none-match", "*"),
                       ("content-type", "application/octet-stream")] + lockHeaders()
        if let md5 = digests.md5 { headers.append(("content-md5", md5.base64)) }
        let response = try send("PUT", key: key, headers: headers, body: .fileRange(path: file, offset: 0, length: length),
                                payloadHash: sha256.hex, limiter: limiter)
        // 412: someone (an earlier attempt whose answer was lost) stored it meanwhile; confirm below.
        guard response.status == 200 || response.status == 412 else { throw failure(response, key: key) }
        guard let stored = try headResponse(key: key) else {
            throw .server(status: response.status, code: "Missing", message: "object not found right after PUT", key: key)
        }
        if response.status == 412 { return try confirmExisting(stored, file: file, key: key, sha256: sha256, length: length) }
        return try confirm(stored, key: key, sha256: sha256, length: length, md5: digests.md5)
    }

    public func head(key: String) throws(StoreError) -> ObjectInfo? {
        try headResponse(key: key).map { info(of: $0, key: key) }
    }

    @discardableResult
    public func get(key: String, to path: String, maxBytes: Int64) throws(StoreError) -> ObjectInfo {
        let response: HTTPResponse
        do {
            response = try send("GET", key: key, headers: [("x-amz-checksum-mode", "ENABLED")], downloadPath: path,
                                maxDownloadBytes: maxBytes)
        } catch {
            unlink(path)
            if case let .unsafeObject(_, detail) = error { throw .unsafeObject(key: key, detail: detail) }
            throw error
        }
        guard response.status == 200 else {
            // The error document went into the file: read it back for the reason, then drop it.
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            unlink(path)
            throw failure(HTTPResponse(status: response.status, headers: response.headers, body: Array(text.utf8),
                                       downloadedLength: 0, downloadedSHA256: nil), key: key)
        }
        let got = ObjectInfo(key: key, length: response.downloadedLength, sha256: response.downloadedSHA256)
        if let claimed = info(of: response, key: key).sha256, claimed != got.sha256 {
            unlink(path)
            throw .checksumMismatch(key: key, expected: claimed.hex, actual: got.sha256?.hex ?? "none")
        }
        return got
    }

    public func list(prefix: String) throws(StoreError) -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", config.prefix + prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("GET", key: nil, query: query)
            guard response.status == 200 else { throw failure(response, key: prefix) }
            let xml = response.bodyText
            keys += S3XML.values("Key", in: xml).map { String($0.dropFirst(config.prefix.count)) }
            token = S3XML.value("IsTruncated", in: xml) == "true" ? S3XML.value("NextContinuationToken", in: xml) : nil
        } while token != nil
        return keys.sorted()
    }

    public func delete(key: String) throws(StoreError) {
        let response = try send("DELETE", key: key)
        guard response.status == 204 || response.status == 200 else { throw failure(response, key: key) }
    }

    // MARK: Requests

    /// Signs and performs one request. `key` nil addresses the bucket itself.
    func send(_ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: HTTPRequest.Body = .empty, payloadHash: String = SignatureV4.emptyPayload,
              limiter: BandwidthLimiter? = nil, downloadPath: String? = nil, maxDownloadBytes: Int64 = .max) throws(StoreError) -> HTTPResponse {
        // Read per request, so an operator's fix to the file takes effect without a restart.
        let credentials = try Credentials.load(from: config.credentialsFile)
        var path = "/" + SignatureV4.uriEncode(config.bucket, keepSlash: false)
        if let key { path += "/" + SignatureV4.uriEncode(config.prefix + key, keepSlash: true) }
        let signer = SignatureV4(credentials: credentials, region: config.region)
        let signed = signer.sign(method: method, host: config.host, path: path, query: query, headers: headers,
                                 payloadHash: payloadHash)
        let queryString = SignatureV4.canonicalQuery(query)
        let request = HTTPRequest(method: method, url: config.endpoint + path + (queryString.isEmpty ? "" : "?" + queryString),
                                  headers: signed, body: body, limiter: limiter,
                                  downloadPath: downloadPath, maxDownloadBytes: maxDownloadBytes)
        return try client.perform(request, endpoint: config.endpoint)
    }

    /// HEAD with checksums requested; nil for 404.
    func headResponse(key: String) throws(StoreError) -> HTTPResponse? {
        let response = try send("HEAD", key: key, headers: [("x-amz-checksum-mode", "ENABLED")])
        if response.status == 404 { return nil }
        if response.status == 403 { throw reasonForRefusal(key: key) }
        guard response.status == 200 else { throw failure(response, key: key) }
        return response
    }

    func info(of response: HTTPResponse, key: String) -> ObjectInfo {
        let checksum = response.headers["x-amz-checksum-sha256"].flatMap { value -> Digest? in
            value.contains("-") ? nil : Data(base64Encoded: value).map { Digest(bytes: Array($0)) }
        }
        return ObjectInfo(key: key, length: Int64(response.headers["content-length"] ?? "") ?? -1, sha256: checksum)
    }

    /// Accepts the stored object only if its length and a checksum it reports match the sealed file:
    /// the whole-object SHA-256, else (multipart) the composite checksum or ETag of `parts`, else (a
    /// store without checksums, e.g. Ceph) the single-part ETag, which is the MD5. Nothing to compare
    /// is refused too: an unconfirmed object must stay queued, visibly.
    func confirm(_ response: HTTPResponse, key: String, sha256: Digest, length: Int64, md5: Digest?,
                 parts: PartChecksums? = nil) throws(StoreError) -> ObjectInfo {
        let stored = info(of: response, key: key)
        guard stored.length == length else {
            throw .conflictingObject(key: key, detail: "store holds \(stored.length) bytes, sealed length is \(length)")
        }
        let confirmed = ObjectInfo(key: key, length: length, sha256: sha256)
        if let checksum = stored.sha256 {
            guard checksum == sha256 else { throw .conflictingObject(key: key, detail: "store's SHA-256 is \(checksum.hex), sealed \(sha256.hex)") }
            return confirmed
        }
        if let reported = response.headers["x-amz-checksum-sha256"], reported.contains("-"), let parts {
            guard reported == parts.composite else { throw .conflictingObject(key: key, detail: "composite checksum \(reported), expected \(parts.composite)") }
            return confirmed
        }
        let etag = response.headers["etag"]?.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if let etag, let expected = etag.contains("-") ? parts?.etag : md5?.hex {
            guard etag == expected else { throw .conflictingObject(key: key, detail: "ETag \(etag), expected \(expected)") }
            return confirmed
        }
        throw .conflictingObject(key: key, detail: "the store reports no checksum this uploader can compare (ETag \(etag ?? "none"))")
    }

    /// An object found under the key before uploading (an earlier attempt got through): compute from
    /// the local file whatever the store reports instead of a whole SHA-256, then confirm.
    func confirmExisting(_ response: HTTPResponse, file: String, key: String, sha256: Digest, length: Int64) throws(StoreError) -> ObjectInfo {
        if info(of: response, key: key).sha256 != nil || info(of: response, key: key).length != length {
            return try confirm(response, key: key, sha256: sha256, length: length, md5: nil)
        }
        let multipart = response.headers["x-amz-checksum-sha256"]?.contains("-") == true || response.headers["etag"]?.contains("-") == true
        if multipart {
            return try confirm(response, key: key, sha256: sha256, length: length, md5: nil,
                               parts: PartChecksums(file: file, length: length, partSize: config.multipartThreshold))
        }
        let whole = try FileDigests.compute(path: file, length: length, md5: true)
        return try confirm(response, key: key, sha256: sha256, length: length, md5: whole.md5)
    }

    /// HEAD answers carry no error document, so a refused HEAD is asked again as a bucket listing of
    /// nothing, whose answer names the reason (bad key, bad signature, no permission).
    func reasonForRefusal(key: String) -> StoreError {
        do {
            let probe = try send("GET", key: nil, query: [("list-type", "2"), ("max-keys", "0")])
            guard probe.status != 200 else {
                return .accessDenied(store: description, detail: "HEAD \(key) refused (HTTP 403) although the bucket can be listed")
            }
            return failure(probe, key: key)
        } catch {
            return error
        }
    }

    /// Object Lock: COMPLIANCE mode cannot be shortened or lifted by anyone, root included.
    func lockHeaders() -> [(String, String)] {
        guard config.retentionDays > 0 else { return [] }
        let until = Date().addingTimeInterval(Double(config.retentionDays) * 86_400)
        return [("x-amz-object-lock-mode", "COMPLIANCE"), ("x-amz-object-lock-retain-until-date", RFC3339.format(until))]
    }

    /// Turns an unsuccessful answer into the error that says what to fix.
    func failure(_ response: HTTPResponse, key: String) -> StoreError {
        let xml = response.bodyText
        let code = S3XML.value("Code", in: xml) ?? ""
        let message = S3XML.value("Message", in: xml) ?? (xml.isEmpty ? "no details" : String(xml.prefix(200)))
        switch (response.status, code) {
        case (_, "InvalidAccessKeyId"), (_, "SignatureDoesNotMatch"), (_, "InvalidToken"), (_, "ExpiredToken"):
            return .badCredentials(store: description, detail: "\(code): \(message)")
        case (_, "AccessDenied"):
            return .accessDenied(store: description, detail: message)
        case (403, ""):
            // HEAD answers have no body; a 403 there is almost always a refused key or signature.
            return .badCredentials(store: description, detail: "HTTP 403 without a reason (HEAD)")
        case (_, "NoSuchBucket"):
            return .missingBucket(bucket: config.bucket)
        case (_, "BadDigest"), (_, "XAmzContentSHA256Mismatch"), (_, "InvalidDigest"):
            return .checksumMismatch(key: key, expected: "the sealed checksum", actual: "store rejected the bytes it received (\(code): \(message))")
        case (404, "NoSuchKey"), (404, ""):
            return .notFound(key: key)
        default:
            return .server(status: response.status, code: code.isEmpty ? "HTTP\(response.status)" : code, message: message, key: key)
        }
    }
}
