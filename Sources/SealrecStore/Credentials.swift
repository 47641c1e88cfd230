import Foundation

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

    public static func load(from path: String) throws(StoreError) -> Credentials {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .credentialsFile(path: path, detail: String(cString: strerror(errno)))
        }
        // A secret others can read is no longer a secret: refuse rather than use it.
        guard info.st_mode & 0o077 == 0 else {
            throw .credentialsFile(path: path, detail: "readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .credentialsFile(path: path, detail: "cannot read it as UTF-8 text")
        }
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("[") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw .credentialsFile(path: path, detail: "line '\(line.prefix(40))' is not KEY = VALUE")
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
