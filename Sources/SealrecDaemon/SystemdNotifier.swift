import CSystemd
import Foundation

/// sd_notify(3): READY, STATUS, STOPPING and WATCHDOG messages to systemd. Without a
/// NOTIFY_SOCKET (run by hand, in tests) every call is a no-op, as libsystemd makes it.
public enum SystemdNotifier {
    public static func ready(_ status: String) { send("READY=1\nSTATUS=\(status)") }
    public static func status(_ status: String) { send("STATUS=\(status)") }
    public static func stopping() { send("STOPPING=1") }
    public static func reloading() { send("RELOADING=1") }
    public static func watchdog() { send("WATCHDOG=1") }

    /// The watchdog period systemd expects pings within, if it enabled one for us.
    public static var watchdogInterval: Double? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 ? Double(usec) / 1e6 : nil
    }

    private static func send(_ message: String) { _ = sd_notify(0, message) }
}
