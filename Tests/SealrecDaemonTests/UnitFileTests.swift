import Foundation
import Testing
import TestSupport

/// The systemd unit, checked by systemd's own tools.
@Suite struct UnitFileTests {
    static let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Devices/systemd/sealrecd.service").path

    /// The unit as installed, with ExecStart pointing at the binary we built (verify checks it exists).
    private func installedCopy() throws -> String {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/sealrecd", with: DaemonHarness.daemonPath)
        let path = Scratch("unit").path + "/sealrecd.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func systemdAcceptsTheUnit() throws {
        let r = try Run.tool("systemd-analyze", ["verify", try installedCopy()])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
    }

    @Test func securityExposureIsAtMostTwoAndAHalf() throws {
        let r = try Run.tool("systemd-analyze", ["security", "--offline=true", try installedCopy()])
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = line.split(separator: " ").compactMap { Double($0) }.first
        #expect((score ?? 10) <= 2.5, "\(line)")
    }

    @Test func unitIsANotifyServiceWithAWatchdog() throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        for directive in ["Type=notify", "WatchdogSec=", "User=sealrec", "ProtectSystem=strict", "ReadWritePaths=/var/lib/sealrec",
                          "NoNewPrivileges=yes", "UMask=0077", "StateDirectoryMode=0700", "PrivateTmp=yes", "DevicePolicy=closed", "RestrictAddressFamilies=", "SystemCallFilter=@system-service"] {
            #expect(text.contains(directive), "missing \(directive)")
        }
    }
}
