import Foundation
import TestSupport

/// A TCP proxy on 127.0.0.1 in front of the S3 server, written in Python (a tool that is not ours):
/// it parses each HTTP request on a connection and, while `corruptions` lasts, flips one byte in
/// the body of PUTs of at least 1000 bytes — bytes changed in flight, after the client hashed them.
/// With `corruptions: 0` it is a plain relay, used to make an endpoint appear and disappear.
final class LoopbackProxy: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let folder = Scratch("proxy")

    var countFile: String { folder.file("corrupted") }

    init(port: Int, upstreamPort: Int, corruptions: Int) throws {
        self.port = port
        let script = folder.file("proxy.py")
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Run.which("python3"))
        process.arguments = [script, String(port), String(upstreamPort), String(corruptions), countFile]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: countFile), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// How many request bodies it has corrupted so far.
    var corrupted: Int { Int((try? String(contentsOfFile: countFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1 }

    func stop() {
        // SIGKILL: a child of the test runner may start with SIGTERM blocked.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        folder.remove()
    }

    static let source = #"""
import os, socket, sys, threading, time
listen_port, upstream_port, budget, count_file = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lock = threading.Lock()
state = {"left": budget, "done": 0}
def record():
    with open(count_file + ".tmp", "w") as f: f.write(str(state["done"]))
    import os; os.replace(count_file + ".tmp", count_file)

def upstream_to_client(up, client):
    try:
        while True:
            data = up.recv(65536)
            if not data: break
            client.sendall(data)
    except OSError: pass
    finally:
        for s in (client, up):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass

def client_to_upstream(client, up):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = client.recv(65536)
                if not data: return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length": length = int(value.strip())
            flip_at = -1
            if lines[0].startswith(b"PUT ") and length >= 1000:
                with lock:
                    if state["left"] > 0:
                        state["left"] -= 1; state["done"] += 1; record(); flip_at = length // 2
            up.sendall(head + b"\r\n\r\n")
            sent = 0
            while sent < length:
                if not buf:
                    buf = client.recv(65536)
                    if not buf: return
                chunk, buf = buf[:length - sent], buf[length - sent:]
                if 0 <= flip_at - sent < len(chunk):
                    i = flip_at - sent
                    chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
                up.sendall(chunk)
                sent += len(chunk)
    except OSError: pass
    finally:
        for s in (client, up):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass

def exit_with_parent(parent=os.getppid()):
    # A killed test run must not leave the proxy behind.
    while os.getppid() == parent: time.sleep(0.5)
    os._exit(0)
threading.Thread(target=exit_with_parent, daemon=True).start()

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
record()  # tells the test it is listening
while True:
    client, _ = server.accept()
    try:
        up = socket.create_connection(("127.0.0.1", upstream_port))
    except OSError:
        client.close(); continue
    threading.Thread(target=client_to_upstream, args=(client, up), daemon=True).start()
    threading.Thread(target=upstream_to_client, args=(up, client), daemon=True).start()
"""#
}
