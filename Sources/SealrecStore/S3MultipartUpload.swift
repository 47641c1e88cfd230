import Foundation
import SealrecCrypto

/// One multipart upload of a large file: parts streamed from disk, each with its own SHA-256 (and
/// MD5) checked by the store, the whole file re-hashed on the way and compared with the seal before
/// the upload is completed. Any failure aborts the upload so no half object is left behind.
struct S3MultipartUpload {
    let store: S3Store
    let file: String
    let key: String
    let sha256: Digest
    let length: Int64
    let limiter: BandwidthLimiter?

    func run() throws(StoreError) -> ObjectInfo {
        let created = try store.send("POST", key: key, query: [("uploads", "")],
                                     headers: [("x-amz-checksum-algorithm", "SHA256")] + store.lockHeaders())
        guard created.status == 200, let uploadID = S3XML.value("UploadId", in: created.bodyText) else {
            throw store.failure(created, key: key)
        }
        do {
            return try upload(uploadID)
        } catch {
            // Best effort: a leftover upload only costs space until the bucket's lifecycle clears it.
            _ = try? store.send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    private func upload(_ uploadID: String) throws(StoreError) -> ObjectInfo {
        let partSize = store.config.multipartThreshold
        let whole = SHA256Hasher()
        var parts: [(number: Int, etag: String, digests: FileDigests)] = []
        var offset: Int64 = 0
        while offset < length {
            let size = min(partSize, length - offset)
            let number = parts.count + 1
            let digests = try FileDigests.compute(path: file, offset: offset, length: size,
                                                  md5: store.config.sendContentMD5, alsoInto: whole)
            var headers = [("x-amz-checksum-sha256", digests.sha256.base64)]
            if let md5 = digests.md5 { headers.append(("content-md5", md5.base64)) }
            let response = try store.send("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                          headers: headers, body: .fileRange(path: file, offset: offset, length: size),
                                          payloadHash: digests.sha256.hex, limiter: limiter)
            guard response.status == 200, let etag = response.headers["etag"] else { throw store.failure(response, key: key) }
            parts.append((number, etag, digests))
            offset += size
        }
        let actual = whole.finalize()
        guard actual == sha256 else {
            throw .checksumMismatch(key: file, expected: sha256.hex, actual: "\(actual.hex) (local file changed since it was sealed)")
        }
        let body = "<CompleteMultipartUpload>" + parts.map { part in
            "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag>"
                + "<ChecksumSHA256>\(part.digests.sha256.base64)</ChecksumSHA256></Part>"
        }.joined() + "</CompleteMultipartUpload>"
        let bytes = Array(body.utf8)
        let completed = try store.send("POST", key: key, query: [("uploadId", uploadID)], body: .bytes(bytes),
                                       payloadHash: SHA256Hasher.hash(bytes).hex)
        // S3 may answer 200 and still report an error in the body of a completion.
        guard completed.status == 200, !completed.bodyText.contains("<Error>") else { throw store.failure(completed, key: key) }
        guard let stored = try store.headResponse(key: key) else {
            throw .server(status: 200, code: "Missing", message: "object not found after completing the multipart upload", key: key)
        }
        return try store.confirm(stored, key: key, sha256: sha256, length: length, md5: nil,
                                 parts: PartChecksums(parts.map(\.digests)))
    }
}

/// What a store reports for an object, computed from its parts' digests: S3's composite checksum
/// (SHA-256 of the parts' SHA-256s, base64, "-N") and multipart ETag (MD5 of the parts' MD5s, hex, "-N").
struct PartChecksums {
    let composite: String
    let etag: String?

    init(_ parts: [FileDigests]) {
        composite = SHA256Hasher.hash(parts.flatMap(\.sha256.bytes)).base64 + "-\(parts.count)"
        if parts.allSatisfy({ $0.md5 != nil }) {
            let hasher = MD5Hasher()
            parts.compactMap(\.md5).flatMap(\.bytes).withUnsafeBytes { hasher.update($0) }
            etag = hasher.finalize().hex + "-\(parts.count)"
        } else {
            etag = nil
        }
    }

    /// The same from a local file, for an object found already stored (after a crash): its parts are
    /// the ones this uploader would have made, `partSize` bytes each.
    init(file: String, length: Int64, partSize: Int64) throws(StoreError) {
        var parts: [FileDigests] = []
        var offset: Int64 = 0
        while offset < length {
            let size = min(partSize, length - offset)
            parts.append(try FileDigests.compute(path: file, offset: offset, length: size, md5: true))
            offset += size
        }
        self.init(parts)
    }
}
