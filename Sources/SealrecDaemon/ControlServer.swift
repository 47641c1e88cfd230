import Foundation
import SealrecFormat
import SealrecPipeline
import SealrecSystem

/// The room's control socket: a Unix stream socket, mode 0660 and owned by the staff group, so the
/// kernel itself refuses anyone else. One thread per client, bounded in all and per user; one JSON
/// request per line.
///
/// No client can hold the server: a reply that is not read within `sendTimeoutSeconds` ends the
/// connection, a connection lives at most `connectionSeconds`, one user holds at most
/// `maxClientsPerUser` connections, and all of them together get `requestsPerSecond`. When every
/// slot (or the rate) is taken, new connections are still accepted and read (without a thread, for
/// `overflowSeconds`): a `stop` among them is served, anything else waits for a slot or is
/// refused. So `stop` always gets through, and a flood costs the recording no CPU it needs.
public final class ControlServer: @unchecked Sendable {
    public typealias Handler = @Sendable (ControlRequest) -> ControlReply
    private let path: String
    private let handler: Handler
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var clients = 0
    private var clientsByUser: [UInt32: Int] = [:]
    private var overflowStops = 0
    private var closed = false
    private var logBudget = LogBudget()
    /// Requests served in all, `stop` excepted: what clients ask must not take the CPU the
    /// recording needs (a room terminal asks once a second).
    private var requestRate = TokenBucket(burst: ControlServer.requestBurst, perSecond: ControlServer.requestsPerSecond)
    static let requestBurst = 100
    static let requestsPerSecond = 50.0

    static let maxClients = 32
    static let maxClientsPerUser = 4
    /// A reply the client does not take within this long ends the connection.
    static let sendTimeoutSeconds = 2
    /// Longest wait for the next request on an open connection.
    static let idleSeconds = 10
    /// Longest life of a connection (a request being handled, such as a long seal, is let finish).
    static let connectionSeconds: Int64 = 60
    /// How long a connection over the limits has to send its one line.
    static let overflowSeconds: Int64 = 1
    /// Connections over the limits read at once (the oldest is refused beyond): at most 4 MiB.
    static let maxOverflow = 64

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
        guard Glibc.listen(fd, 64) == 0 else { let e = SystemError("listen", path: path); close(fd); throw e }
        return fd
    }

    public func start() {
        // Client work runs 10 nice steps below the recording (the threads this one starts inherit it):
        // a flood of requests on a two-core box must take CPU from the clients, not from capture and encoding.
        let t = Thread { [self] in ThreadPriority.lowerCurrent(by: 10); acceptLoop() }
        t.name = "control"
        t.start()
    }

    /// Stops accepting; the accept loop closes the listener (within its 100 ms poll).
    public func stop() {
        lock.lock(); closed = true; let fd = listener; lock.unlock()
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        unlink(path)
    }

    /// A connection over the limits: read without a thread until its first line or its deadline.
    private struct Overflow { let fd: Int32; let uid: UInt32; let deadline: Int64; var pending = Data() }

    /// Takes a slot for `uid` if one is free (within both caps).
    private func admit(_ uid: UInt32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard clients < ControlServer.maxClients && clientsByUser[uid, default: 0] < ControlServer.maxClientsPerUser else { return false }
        clients += 1
        clientsByUser[uid, default: 0] += 1
        return true
    }

    /// Serves an admitted connection on its own thread, then gives its slot back.
    private func spawnClient(_ client: Int32, uid: UInt32, pending: Data = Data()) {
        let t = Thread { [self] in
            serve(client, pending: pending)
            close(client)
            lock.lock()
            clients -= 1
            clientsByUser[uid, default: 1] -= 1
            if clientsByUser[uid] == 0 { clientsByUser[uid] = nil }
            lock.unlock()
        }
        t.name = "control client"
        t.start()
    }

    private func acceptLoop() {
        let fd = lock.withLock { listener }
        var overflow: [Overflow] = []
        defer {
            overflow.forEach { close($0.fd) }
            lock.withLock { listener = -1 }
            close(fd)
        }
        while !lock.withLock({ closed }) {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            fds += overflow.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            // Waiting connections look for a free slot every 10 ms (a slot freed does not wake poll).
            let r = poll(&fds, nfds_t(fds.count), overflow.isEmpty ? 100 : 10)
            if r < 0 {
                if errno == EINTR { continue }
                Log.error("control socket: poll: \(String(cString: strerror(errno)))")
                return
            }
            overflow = serviceOverflow(overflow, fds.dropFirst().map(\.revents))
            guard fds[0].revents != 0 else { continue }
            let client = accept(fd, nil, nil)
            if client < 0 {
                let e = errno
                if e == EINTR || e == ECONNABORTED || e == EAGAIN { continue }
                if lock.withLock({ closed }) { return }
                // Out of descriptors or memory: keep the socket (a stop must get through later), retry.
                if lock.withLock({ logBudget.take() }) != nil { Log.error("control socket: accept: \(String(cString: strerror(e)))") }
                usleep(100_000)
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            var timeout = timeval(tv_sec: ControlServer.sendTimeoutSeconds, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let uid = Self.peerUID(client)
            // Over the request rate a connection gets no thread: it is read in the overflow set,
            // where a stop is served and anything else refused as busy at once.
            guard lock.withLock({ requestRate.hasToken() }), admit(uid) else {
                if overflow.count >= ControlServer.maxOverflow { refuse(overflow.removeFirst().fd) }
                overflow.append(Overflow(fd: client, uid: uid, deadline: MonotonicClock.now() + ControlServer.overflowSeconds * 1_000_000_000))
                continue
            }
            spawnClient(client, uid: uid)
        }
    }

    /// Reads what arrived on connections over the limits: a first line that is `stop` is served
    /// on a thread of its own at once; any other request waits (up to the deadline) for a slot to
    /// come free, as one does when a client reconnects the moment it has its last reply. Refused:
    /// no slot by the deadline, more than a request's 64 KiB unserved, a hang-up.
    private func serviceOverflow(_ list: [Overflow], _ events: [Int16]) -> [Overflow] {
        var keep: [Overflow] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let now = MonotonicClock.now()
        for (var o, revents) in zip(list, events) {
            if revents != 0 {
                let n = recv(o.fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
                if n > 0 { o.pending.append(contentsOf: chunk[0..<n]) } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(o.fd); continue
                }
            }
            if let newline = o.pending.firstIndex(of: UInt8(ascii: "\n")) {
                // Only a line short enough to be a stop is parsed here; the rest waits for a slot.
                let line = Data(o.pending[o.pending.startIndex..<newline])
                if line.count <= 64, case .success(.stop) = ControlRequest.parse(line), lock.withLock({ overflowStops < 4 }) {
                    serveStop(o.fd)
                    continue
                }
                if !lock.withLock({ requestRate.hasToken() }) { refuse(o.fd, ControlServer.busyLine); continue }
                if admit(o.uid) { spawnClient(o.fd, uid: o.uid, pending: o.pending); continue }
            }
            if now >= o.deadline || o.pending.count > ControlRequest.maxLineBytes { refuse(o.fd); continue }
            keep.append(o)
        }
        return keep
    }

    private func serveStop(_ fd: Int32) {
        lock.withLock { overflowStops += 1 }
        let t = Thread { [self] in
            send(fd, handler(.stop).line)
            close(fd)
            lock.withLock { overflowStops -= 1 }
        }
        t.name = "control stop"
        t.start()
    }

    /// Refusals are made once: a flood of them must cost as little as possible.
    static let busyLine = ControlReply.failure("control requests refused: more than \(Int(requestsPerSecond)) a second in all; try again in a moment").line
    static let tooManyLine = ControlReply.failure("too many control connections (at most \(maxClientsPerUser) per user, \(maxClients) in all); only stop is served now").line

    /// Tells a connection over the limits why (without waiting) and closes it.
    private func refuse(_ fd: Int32, _ line: Data = ControlServer.tooManyLine) {
        _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        close(fd)
        if let suppressed = lock.withLock({ logBudget.take() }) {
            let why = line == ControlServer.busyLine ? "more than \(Int(ControlServer.requestsPerSecond)) requests a second" : "too many control connections"
            Log.warning("control socket: refused a connection: \(why)" + (suppressed > 0 ? " (\(suppressed) more not logged)" : ""))
        }
    }

    /// The connecting process's user (SO_PEERCRED: struct ucred is pid, uid, gid).
    static func peerUID(_ fd: Int32) -> UInt32 {
        var cred = [UInt32](repeating: UInt32.max, count: 3)
        var length = socklen_t(12)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else { return UInt32.max }
        return cred[1]
    }

    /// Reads request lines and answers each; an oversized line gets an error and the connection ends.
    private func serve(_ fd: Int32, pending first: Data) {
        let deadline = MonotonicClock.now() + ControlServer.connectionSeconds * 1_000_000_000
        var pending = first
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                let reply: ControlReply
                // Over the rate nothing is parsed but a line short enough to be a stop, which is served.
                let withinRate = lock.withLock { requestRate.take() }
                let parsed = withinRate || line.count <= 64 ? ControlRequest.parse(Data(line)) : .failure(ControlError(""))
                switch parsed {
                case .success(.stop): reply = handler(.stop)
                case _ where !withinRate:
                    guard send(fd, ControlServer.busyLine) else { return }
                    continue
                case .success(let request): reply = handler(request)
                case .failure(let error):
                    if let suppressed = lock.withLock({ logBudget.take() }) {
                        Log.warning("control socket: refused request: \(Log.excerpt(error.message))" + (suppressed > 0 ? " (\(suppressed) more not logged)" : ""))
                    }
                    reply = .failure(error.message)
                }
                guard send(fd, reply.line) else { return }
            }
            if pending.count > ControlRequest.maxLineBytes {
                Log.warning("control socket: request line over \(ControlRequest.maxLineBytes) bytes; connection closed")
                send(fd, ControlReply.failure("request longer than \(ControlRequest.maxLineBytes) bytes").line)
                return
            }
            // An idle or trickling client cannot hold a thread: each wait is bounded, and so is the whole.
            let left = (deadline - MonotonicClock.now()) / 1_000_000_000
            guard left > 0 else { return }
            var timeout = timeval(tv_sec: Int(min(left, Int64(ControlServer.idleSeconds))), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    /// Sends all of `data`; false when the client hung up or did not read it within the send timeout.
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

/// At most 10 log lines a second for what clients can cause in bulk (refusals); the rest counted.
struct LogBudget {
    private var second: Int64 = 0
    private var used = 0
    private var suppressed = 0

    /// nil: do not log; otherwise log, mentioning how many were left out since the last line.
    mutating func take(now: Int64 = MonotonicClock.now()) -> Int? {
        let s = now / 1_000_000_000
        if s != second { second = s; used = 0 }
        guard used < 10 else { suppressed += 1; return nil }
        used += 1
        defer { suppressed = 0 }
        return suppressed
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
