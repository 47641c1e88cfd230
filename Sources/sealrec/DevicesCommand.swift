import Foundation
import SealrecDevices

/// `sealrec devices [--json]`: the cameras and microphones on this machine, with the stable
/// names and values to put in a room configuration.
enum DevicesCommand {
    static let usage = "sealrec devices [--json]"

    struct Inventory: Codable {
        let cameras: [CameraInfo]
        let microphones: [MicrophoneInfo]
    }

    static func run(_ argv: [String]) -> Int32 {
        do {
            let args = try Arguments(argv, valueFlags: [], switchFlags: ["--json"])
            guard args.positional.isEmpty else { throw UsageError("unexpected argument \(args.positional[0])") }
            let inventory = Inventory(cameras: V4L2Cameras.cameras(), microphones: ALSACards.microphones())
            if args.has("--json") {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(inventory), as: UTF8.self))
            } else {
                // Card, driver and control names come from drivers and USB descriptors: escaped line by line.
                print(text(inventory).split(separator: "\n", omittingEmptySubsequences: false).map(safe).joined(separator: "\n"), terminator: "")
            }
            return 0
        } catch {
            Output.error("\(error)")
            Output.raw("usage: \(usage)")
            return 2
        }
    }

    static func text(_ inv: Inventory) -> String {
        var out = "cameras (\"source\": \"v4l2\", \"path\": a stable name below):\n"
        if inv.cameras.isEmpty { out += "  none found\n" }
        for c in inv.cameras {
            out += "  \(c.path)  \(c.card) [\(c.driver), \(c.busInfo)]\n"
            for name in c.stableNames { out += "    stable name: \(name)\n" }
            if let usb = c.usbID { out += "    USB \(usb): camera profile Devices/profiles/\(usb.replacingOccurrences(of: ":", with: "-")).json if there is one\n" }
            if let p = c.problem { out += "    cannot examine: \(p)\n"; continue }
            for f in c.formats {
                out += "    \(f.fourcc) \"pixelFormat\": \"\(f.name ?? "?")\"\(f.emulated ? " (converted by libv4l2: costs CPU)" : "")\n"
                for s in f.sizes {
                    out += "      \(s.width)x\(s.height) @ \(s.frameRates.map(rate).joined(separator: ", ")) fps\n"
                }
            }
            if !c.otherFormats.isEmpty { out += "    also offers (sealrec does not take these): \(c.otherFormats.joined(separator: " "))\n" }
            if !c.controls.isEmpty { out += "    controls (\"controls\": {\"NAME\": VALUE}):\n" }
            for k in c.controls {
                out += "      \(k.name) (\(k.type) \(k.minimum)..\(k.maximum), default \(k.defaultValue)\(k.value.map { ", now \($0)" } ?? ""))"
                if let menu = k.menu, !menu.isEmpty {
                    out += ": " + menu.sorted { Int($0.key)! < Int($1.key)! }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                }
                out += "\n"
            }
        }
        out += "microphones (\"source\": \"alsa\", \"path\": the pcm name):\n"
        if inv.microphones.isEmpty { out += "  none found\n" }
        for m in inv.microphones {
            out += "  \(m.pcm)  \(m.cardName): \(m.deviceName) (card \(m.card), also \(m.plugPCM) with conversion)\n"
            if let p = m.problem { out += "    cannot examine: \(p)\n"; continue }
            out += "    rates \(m.rates.map(String.init).joined(separator: ", ")) Hz; channels \(m.minChannels)-\(m.maxChannels)\n"
        }
        return out
    }

    private static func rate(_ fps: Double) -> String {
        fps == fps.rounded() ? String(Int(fps)) : String(format: "%.3f", fps)
    }
}
