import Foundation
import SealrecAV
import SealrecPipeline
import SealrecRoom
import SealrecSystem

/// `sealrecd --config FILE`: runs the room until SIGTERM. Startup order matters: recover what a
/// crash left, resume recording if the room was recording, open the socket, then tell systemd READY.
public enum Daemon {
    public static let usage = "usage: sealrecd --config FILE | --version | --help"

    public static func main(_ argv: [String]) -> Int32 {
        switch argv {
        case ["--version"]: print(SealrecVersion.named("sealrecd")); return 0
        case ["--help"], ["-h"]: print(usage); return 0
        default: break
        }
        guard argv.count == 2, argv[0] == "--config" else {
            Log.error("usage: sealrecd --config FILE")
            return 2
        }
        let configPath = argv[1]
        // Recordings, keys and the upload queue are the daemon's alone: whoever may press start
        // and stop (the socket's group) must not thereby read the evidence. Everything it creates
        // is owner-only, whatever umask it was started with (the unit's UMask says the same).
        umask(0o077)
        AVLog.quiet()
        let config: RoomConfig
        let controller: RoomController
        do {
            config = try RoomConfig.load(path: configPath)
            controller = try RoomController(config: config)
        } catch {
            Log.error("cannot start: \(error)")
            return 1
        }
        Log.notice("\(SealrecVersion.named("sealrecd")) for room \(config.room.id) (\(config.room.name)); spool \(config.daemon.spool)")
        let resume = controller.recoverInterrupted()
        controller.queueUnfinishedUploads()
        if let (metadata, interruption) = resume {
            Log.warning("the room was recording \(metadata.sessionID) when the daemon stopped: resuming in a new, linked session")
            let r = controller.start(caseNumber: metadata.caseNumber, participants: metadata.participants, continuing: interruption)
            if !r.ok { Log.error("resume failed: \(Log.excerpt(r.error ?? "?", limit: 400))") }  // may quote a participant
        }
        let server: ControlServer
        do {
            server = try ControlServer(path: config.daemon.socket, group: config.daemon.socketGroup) { controller.handle($0) }
        } catch {
            Log.error("cannot open control socket: \(error)")
            if controller.currentState == .recording { _ = controller.stop(reason: .error) }
            return 1
        }
        server.start()
        SystemdNotifier.ready("\(controller.currentState.rawValue)")
        Log.notice("ready: control socket \(config.daemon.socket)")

        let done = DispatchSemaphore(value: 0)
        let signals = SignalHandlers()
        signals.on(SIGTERM) { Log.notice("SIGTERM: stopping"); done.signal() }
        signals.on(SIGINT) { Log.notice("SIGINT: stopping"); done.signal() }
        signals.on(SIGHUP) {
            SystemdNotifier.reloading()
            do { _ = controller.reload(try RoomConfig.load(path: configPath)) } catch { Log.error("reload: \(error)") }
            SystemdNotifier.status(controller.currentState.rawValue)
            SystemdNotifier.ready(controller.currentState.rawValue)
        }
        let ticker = Thread {
            let period = SystemdNotifier.watchdogInterval.map { min(1.0, $0 / 3) } ?? 1.0
            while true {
                Thread.sleep(forTimeInterval: period)
                if controller.tick() { SystemdNotifier.watchdog() } else { Log.error("watchdog: the recording pipeline made no progress; withholding the ping") }
            }
        }
        ticker.name = "tick"
        ticker.start()
        done.wait()
        SystemdNotifier.stopping()
        server.stop()
        if let r = controller.shutdown() {
            Log.notice("sealed \(r.session ?? "?") on shutdown: \(r.ok ? "verified" : (r.error ?? "not verified"))")
        }
        // What is not uploaded yet stays queued in the spool for the next start.
        controller.uploads?.stop()
        return 0
    }
}
