import Foundation
import CCurl
import SealrecCrypto
import SealrecSystem

/// The state libcurl's callbacks work on during one transfer: where the body comes from, where the
/// response goes, and the first local error (libcurl only learns "aborted").
final class TransferContext {
    private var sourceFD: Int32 = -1
    private var sourceOffset: Int64 = 0
    private var sourceRemaining: Int64 = 0
    private var sourceBytes: [UInt8] = []
    private var sourceBytesOffset = 0

    private var sinkFD: Int32 = -1
    private var sinkHasher: SHA256Hasher?
    private(set) var sinkLength: Int64 = 0

    private(set) var body: [UInt8] = []
    private(set) var headers: [String: String] = [:]
    private(set) var localError: StoreError?
    private let limiter: BandwidthLimiter?
    private let maxDownloadBytes: Int64

    init(body: HTTPRequest.Body, downloadPath: String?, limiter: BandwidthLimiter? = nil, maxDownloadBytes: Int64 = .max) throws(StoreError) {
        self.limiter = limiter
        self.maxDownloadBytes = maxDownloadBytes
        switch body {
        case .empty: break
        case let .bytes(bytes): sourceBytes = bytes
        case let .fileRange(path, offset, length):
            sourceFD = open(path, O_RDONLY | O_CLOEXEC)
            guard sourceFD >= 0 else { throw .localFile(path: path, detail: "open: \(String(cString: strerror(errno)))") }
            sourceOffset = offset
            sourceRemaining = length
        }
        if let downloadPath {
            // Exclusive create: a download never replaces a file already there.
            sinkFD = open(downloadPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard sinkFD >= 0 else {
                if sourceFD >= 0 { close(sourceFD) }
                throw .localFile(path: downloadPath, detail: "create: \(String(cString: strerror(errno)))")
            }
            sinkHasher = SHA256Hasher()
        }
    }

    deinit {
        if sourceFD >= 0 { close(sourceFD) }
        if sinkFD >= 0 { close(sinkFD) }
    }

    var sinkDigest: Digest? { sinkHasher?.finalize() }

    /// Fills libcurl's buffer from the body; 0 ends the body, CURL_READFUNC_ABORT stops the transfer.
    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        if sourceFD >= 0 {
            let want = Int(min(Int64(min(capacity, limiter?.chunk ?? capacity)), sourceRemaining))
            if want == 0 { return 0 }
            var n: Int
            repeat { n = pread(sourceFD, buffer, want, off_t(sourceOffset)) } while n < 0 && errno == EINTR
            guard n > 0 else {
                // A file that shrank under us must not be sent short: the length was promised.
                localError = .localFile(path: "upload source", detail: n == 0 ? "file shrank during upload" : String(cString: strerror(errno)))
                return sr_curl_readfunc_abort
            }
            sourceOffset += Int64(n)
            sourceRemaining -= Int64(n)
            limiter?.take(n)
            return n
        }
        let n = min(capacity, sourceBytes.count - sourceBytesOffset)
        sourceBytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + sourceBytesOffset, byteCount: n)
        }
        sourceBytesOffset += n
        return n
    }

    /// Takes response bytes into the file (hashing them) or memory; anything short of `count` aborts.
    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard sinkFD >= 0 else {
            body.append(contentsOf: bytes)
            return bytes.count
        }
        guard Int64(bytes.count) <= maxDownloadBytes - sinkLength else {
            // An endless or oversized object: stop the transfer rather than fill the disk.
            localError = .unsafeObject(key: "download", detail: "holds more than the \(maxDownloadBytes) bytes expected; download stopped there")
            return 0
        }
        do { try FileDescriptor(rawValue: sinkFD).writeAll(bytes) } catch {
            localError = .localFile(path: "download target", detail: "write: \(error)")
            return 0
        }
        sinkHasher?.update(bytes)
        sinkLength += Int64(bytes.count)
        return bytes.count
    }

    /// One response header line ("Name: value\r\n"); the status line and blank line are skipped.
    /// A new status line (after `100 Continue`) starts the header set afresh.
    func header(_ line: String) {
        if line.hasPrefix("HTTP/") { headers = [:]; return }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Makes the downloaded file durable before anyone relies on it.
    func finishDownload() throws(StoreError) {
        guard sinkFD >= 0 else { return }
        guard fsync(sinkFD) == 0 else { throw .localFile(path: "download target", detail: "fsync: \(String(cString: strerror(errno)))") }
    }
}
