import Foundation
import SealrecPipeline

/// The room's control socket: a Unix stream socket, mode 0660 and owned by the staff group, so the
/// kernel itself refuses anyone else. One thread per client (bounded); one JSON request per line.
public final class ControlServer: @unchecked Sendable {
    public typealias Handler = @Sendable (ControlRequest) -> ControlReply
    private let path: String
    private let handler: Handler
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var clients = 0
    private var closed = false
    static let maxClients = 16

    public init(path: String, group: String?, handler: @escaping Handler) throws {
        self.path = path
        self.handler = handler
        listener = try ControlServer.listen(path: path, group: group)
    }

    /// Creates, binds and restricts the socket. A stale socket file from a crash is replaced;
    /// anything else at the path is an error.
    static func listen(path: String, group: String?) throws -> Int32 {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw ConfigError("control socket path \(path) exists and is not a socket") }
            unlink(path)
        }
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket(AF_UNIX)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { close(fd); throw ConfigError("control socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: bytes + [0]) }
        // Bind with a umask that leaves no window in which others could connect.
        let oldMask = umask(0o117)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        umask(oldMask)
        guard bound == 0 else { let e = SystemError("bind", path: path); close(fd); throw e }
        if let group {
            guard let gr = getgrnam(group) else { close(fd); unlink(path); throw ConfigError("control socket group '\(group)' does not exist (create it, or set daemon.socketGroup to null)") }
            guard chown(path, uid_t.max, gr.pointee.gr_gid) == 0 else { let e = SystemError("chown", path: path); close(fd); throw e }
        }
        guard chmod(path, 0o660) == 0 else { let e = SystemError("chmod", path: path); close(fd); throw e }
        guard Glibc.listen(fd, 16) == 0 else { let e = SystemError("listen", path: path); close(fd); throw e }
        return fd
    }

    public func start() {
        let t = Thread { [self] in acceptLoop() }
        t.name = "control"
        t.start()
    }

    public func stop() {
        lock.lock(); closed = true; let fd = listener; listener = -1; lock.unlock()
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
        unlink(path)
    }

    private func acceptLoop() {
        while true {
            lock.lock(); let fd = listener; lock.unlock()
            guard fd >= 0 else { return }
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                lock.lock(); let done = closed; lock.unlock()
                if !done { Log.error("control socket: accept: \(String(cString: strerror(errno)))") }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            lock.lock()
            let admitted = clients < ControlServer.maxClients
            if admitted { clients += 1 }
            lock.unlock()
            guard admitted else {
                send(client, ControlReply.failure("too many control connections").line)
                close(client)
                continue
            }
            let t = Thread { [self] in
                serve(client)
                close(client)
                lock.lock(); clients -= 1; lock.unlock()
            }
            t.name = "control client"
            t.start()
        }
    }

    /// Reads request lines and answers each; an oversized line gets an error and the connection ends.
    private func serve(_ fd: Int32) {
        var timeout = timeval(tv_sec: 60, tv_usec: 0)  // an idle client cannot hold a thread forever
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending = Data()
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                let reply: ControlReply
                switch ControlRequest.parse(Data(line)) {
                case .success(let request): reply = handler(request)
                case .failure(let error):
                    Log.warning("control socket: refused request: \(error)")
                    reply = .failure(error.message)
                }
                guard send(fd, reply.line) else { return }
            }
            if pending.count > ControlRequest.maxLineBytes {
                Log.warning("control socket: request line over \(ControlRequest.maxLineBytes) bytes; connection closed")
                send(fd, ControlReply.failure("request longer than \(ControlRequest.maxLineBytes) bytes").line)
                return
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    @discardableResult
    private func send(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
    }
}

/// A client of the control socket (the CLI verbs, tests, the room terminal).
public enum ControlClient {
    public static func send(_ request: ControlRequest, socket path: String, timeout: Double = 120) throws -> ControlReply {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket(AF_UNIX)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0]) }
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard r == 0 else { throw SystemError("connect", path: path) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let line = request.line
        let sent = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == line.count else { throw SystemError("send", path: path) }
        var reply = Data()
        var chunk = [UInt8](repeating: 0, count: 8192)
        while !reply.contains(UInt8(ascii: "\n")) {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ControlError("the daemon closed the connection without a reply") }
            reply.append(contentsOf: chunk[0..<n])
        }
        return try JSONDecoder().decode(ControlReply.self, from: reply.prefix { $0 != UInt8(ascii: "\n") })
    }
}
