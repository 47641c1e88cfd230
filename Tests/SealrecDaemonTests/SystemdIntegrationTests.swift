import Foundation
import Testing
import SealrecDaemon
import TestSupport

/// What systemd sees of the daemon: sd_notify datagrams on a NOTIFY_SOCKET we own, and SIGHUP.
@Suite(.serialized) struct SystemdIntegrationTests {
    /// A datagram socket standing in for systemd's notify socket.
    final class NotifySocket: @unchecked Sendable {
        let path: String
        let fd: Int32
        init(path: String) {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            var tv = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        /// Messages received until `seconds` pass.
        func collect(for seconds: Double) -> [String] {
            var out: [String] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0 { out.append(String(decoding: buf[0..<n], as: UTF8.self)) }
            }
            return out
        }
        deinit { close(fd); unlink(path) }
    }

    @Test func notifiesReadyStatusAndWatchdogWhileRecording() throws {
        let d = try DaemonHarness()
        let notify = NotifySocket(path: d.dir.file("notify.sock"))
        try d.launch(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "3000000"])
        var messages = notify.collect(for: 0.5)
        #expect(messages.contains { $0.contains("READY=1") }, "\(messages)")
        #expect(try d.send(.start(caseNumber: nil, participants: [])).ok)
        messages = notify.collect(for: 3)
        #expect(messages.contains { $0.contains("STATUS=recording") }, "\(messages)")
        // Pings about every second while the recording makes progress (period: a third of WATCHDOG_USEC).
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(messages)")
        #expect(try d.send(.stop).ok)
        d.terminate()
    }

    @Test func sighupReloadsTheConfigurationBetweenSessions() throws {
        let d = try DaemonHarness()
        try d.launch()
        let text = try String(contentsOfFile: d.config, encoding: .utf8)
        try text.replacingOccurrences(of: #"{"segmentSeconds""#, with: #"{"room": {"id": "reloaded-room"}, "segmentSeconds""#)
            .write(toFile: d.config, atomically: true, encoding: .utf8)
        d.signal(SIGHUP)
        try d.waitForLog("configuration reloaded")
        let started = try d.send(.start(caseNumber: nil, participants: []))
        #expect(started.session?.hasPrefix("reloaded-room-") == true, "\(started)")
        #expect(try d.send(.stop).ok)
        d.terminate()
    }
}
