import Foundation
import SealrecCrypto
import SealrecSystem

/// An S3 access key pair, read from a file only the daemon may read.
///
/// Format: `KEY = VALUE` lines as in AWS's credentials file (`aws_access_key_id`,
/// `aws_secret_access_key`); `[section]` headers, blank lines and `#`/`;` comments are ignored.
public struct Credentials: Sendable {
    public let accessKeyID: String
    public let secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// A credentials file is a few lines; more is not read.
    static let maxBytes: Int64 = 64 * 1024

    public static func load(from path: String) throws(StoreError) -> Credentials {
        // One descriptor for the mode check and the read; no link followed, no FIFO waited on.
        let file: UntrustedFile
        do { file = try UntrustedFile(path, followingLinks: true) } catch {
            if case .file(let e) = error { throw .credentialsFile(path: path, detail: String(cString: strerror(e.errno))) }
            throw .credentialsFile(path: path, detail: "\(error)")
        }
        // A secret others can read is no longer a secret: refuse rather than use it.
        guard file.mode & 0o077 == 0 else {
            throw .credentialsFile(path: path, detail: "readable by group or others (mode \(String(file.mode & 0o777, radix: 8))); chmod 600 it")
        }
        let bytes: [UInt8]
        do { bytes = try file.readAll(limit: maxBytes) } catch { throw .credentialsFile(path: path, detail: "\(error)") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .credentialsFile(path: path, detail: "cannot read it as UTF-8 text")
        }
        var values: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("[") { continue }
            // The line is not quoted: it may hold the secret itself.
            guard let eq = line.firstIndex(of: "=") else {
                throw .credentialsFile(path: path, detail: "line \(number + 1) is not KEY = VALUE")
            }
            values[line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] =
                line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty else {
            throw .credentialsFile(path: path, detail: "no aws_access_key_id")
        }
        guard let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw .credentialsFile(path: path, detail: "no aws_secret_access_key")
        }
        return Credentials(accessKeyID: id, secretAccessKey: secret)
    }
}
