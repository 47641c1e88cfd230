import CCurl
import Foundation

/// HTTP over libcurl. libcurl (not URLSession) because an evidence uploader needs what it gives
/// directly: a configurable CA file, connect and stall timeouts, a read callback the queue's
/// shared bandwidth limiter can pace, streaming uploads from a file range, and connection reuse across requests.
///
/// Easy handles are not thread-safe, so the client keeps a pool: each transfer borrows one and
/// returns it, and a returned handle keeps its open connection for the next request.
final class CurlClient: @unchecked Sendable {
    private let options: TransportOptions
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    /// curl_global_init is not thread-safe; Swift runs a static initializer exactly once.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    init(options: TransportOptions) {
        self.options = options
        precondition(Self.initialized, "curl_global_init failed")
    }

    deinit { for handle in idle { curl_easy_cleanup(handle) } }

    /// Performs the request. Transport failures throw (`unreachable`, `tls`, `localFile`); any HTTP
    /// status is returned for the caller to judge.
    func perform(_ request: HTTPRequest, endpoint: String) throws(StoreError) -> HTTPResponse {
        let context = try TransferContext(body: request.body, downloadPath: request.downloadPath, limiter: request.limiter,
                                         maxDownloadBytes: request.maxDownloadBytes)
        let handle = borrow()
        var headerList: UnsafeMutablePointer<curl_slist>?
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer {
            curl_slist_free_all(headerList)
            giveBack(handle)
        }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        let unmanaged = Unmanaged.passUnretained(context).toOpaque()

        curl_easy_reset(handle)
        _ = sr_curl_set_string(handle, CURLOPT_URL, request.url)
        _ = sr_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)  // worker threads: no SIGALRM for timeouts
        _ = sr_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds)
        _ = sr_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = sr_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, options.stallSeconds)
        if let ca = options.caFile { _ = sr_curl_set_string(handle, CURLOPT_CAINFO, ca) }
        _ = sr_curl_set_headers(handle, headerList)
        _ = errorBuffer.withUnsafeMutableBufferPointer { sr_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, $0.baseAddress) }
        _ = sr_curl_set_write(handle, { buffer, size, count, ctx in
            let context = Unmanaged<TransferContext>.fromOpaque(ctx!).takeUnretainedValue()
            return context.write(UnsafeRawBufferPointer(start: buffer, count: size * count))
        }, unmanaged)
        _ = sr_curl_set_header_sink(handle, { buffer, size, count, ctx in
            let context = Unmanaged<TransferContext>.fromOpaque(ctx!).takeUnretainedValue()
            context.header(String(decoding: UnsafeRawBufferPointer(start: buffer, count: size * count), as: UTF8.self))
            return size * count
        }, unmanaged)

        switch request.method {
        case "HEAD": _ = sr_curl_set_long(handle, CURLOPT_NOBODY, 1)
        case "GET": break
        default: _ = sr_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        let bodyLength: Int64? = switch request.body {
        case .empty: request.method == "POST" || request.method == "PUT" ? 0 : nil
        case let .bytes(bytes): Int64(bytes.count)
        case let .fileRange(_, _, length): length
        }
        if let bodyLength {
            // UPLOAD with a custom method sends the body with a known Content-Length (no chunking).
            _ = sr_curl_set_long(handle, CURLOPT_UPLOAD, 1)
            _ = sr_curl_set_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyLength))
            _ = sr_curl_set_read(handle, { buffer, size, count, ctx in
                let context = Unmanaged<TransferContext>.fromOpaque(ctx!).takeUnretainedValue()
                return context.read(into: buffer!, capacity: size * count)
            }, unmanaged)
        }

        let code = withExtendedLifetime(context) { curl_easy_perform(handle) }
        // Detach the buffer before it goes out of scope: the handle outlives this call in the pool.
        _ = sr_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil)
        if let local = context.localError { throw local }
        guard code == CURLE_OK else {
            let message = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
            switch code {
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
                 CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
                throw .tls(endpoint: endpoint, detail: detail)
            default:
                throw .unreachable(endpoint: endpoint, detail: detail)
            }
        }
        try context.finishDownload()
        return HTTPResponse(status: sr_curl_response_code(handle), headers: context.headers, body: context.body,
                            downloadedLength: context.sinkLength, downloadedSHA256: context.sinkDigest)
    }

    private func borrow() -> UnsafeMutableRawPointer {
        lock.lock()
        defer { lock.unlock() }
        if let handle = idle.popLast() { return handle }
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init: out of memory") }
        return handle
    }

    private func giveBack(_ handle: UnsafeMutableRawPointer) {
        lock.lock()
        idle.append(handle)
        lock.unlock()
    }
}
