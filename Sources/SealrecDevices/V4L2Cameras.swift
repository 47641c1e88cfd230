import Glibc
import Foundation

/// A camera node with the names it can be configured by and what it offers.
public struct CameraInfo: Sendable, Codable, Equatable {
    public let path: String
    /// Stable names (udev's /dev/v4l/by-id and by-path links) pointing at this node.
    public let stableNames: [String]
    public let card: String
    public let driver: String
    public let busInfo: String
    /// "046d:085b" for a USB camera (its profile is Devices/profiles/046d-085b.json), nil otherwise.
    public let usbID: String?
    /// Formats sealrec can take, with their sizes and rates.
    public let formats: [V4L2FormatInfo]
    /// Codes of the other formats the camera offers.
    public let otherFormats: [String]
    public let controls: [V4L2Control]
    public let problem: String?
}

public enum V4L2Cameras {
    /// Every /dev/video* node that captures video (metadata and output nodes are left out).
    public static func cameras(devFolder: String = "/dev") -> [CameraInfo] {
        let nodes = ((try? FileManager.default.contentsOfDirectory(atPath: devFolder)) ?? [])
            .filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
        let links = stableLinks(devFolder: devFolder)
        return nodes.compactMap { node in
            let path = devFolder + "/" + node
            do {
                let device = try V4L2Device(path: path)
                let caps = try device.capabilities()
                guard caps.videoCapture else { return nil }
                let codes = try device.formatCodes().map(\.0)
                return CameraInfo(path: path, stableNames: links[path] ?? [], card: caps.card, driver: caps.driver,
                                  busInfo: caps.busInfo, usbID: usbID(node: node), formats: try device.formats(only: Set(codes.filter { $0.ffmpegName != nil })),
                                  otherFormats: codes.filter { $0.ffmpegName == nil }.map(\.description),
                                  controls: try device.controls(), problem: nil)
            } catch {
                return CameraInfo(path: path, stableNames: links[path] ?? [], card: "", driver: "", busInfo: "", usbID: nil,
                                  formats: [], otherFormats: [], controls: [], problem: "\(error)")
            }
        }
    }

    /// The USB vendor and product of the device behind a node: sysfs puts idVendor/idProduct on
    /// the USB device, a level or two above the video interface.
    static func usbID(node: String) -> String? {
        guard let resolved = realpath("/sys/class/video4linux/\(node)/device", nil) else { return nil }
        var dir = String(cString: resolved)
        free(resolved)
        for _ in 0..<4 {
            let read = { (name: String) in (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) }
            if let vendor = read("idVendor"), let product = read("idProduct") { return "\(vendor):\(product)" }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Node path -> the udev symlinks that resolve to it.
    static func stableLinks(devFolder: String) -> [String: [String]] {
        var links: [String: [String]] = [:]
        for sub in ["v4l/by-id", "v4l/by-path"] {
            let folder = devFolder + "/" + sub
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
                let link = folder + "/" + name
                guard let target = realpath(link, nil) else { continue }
                links[String(cString: target), default: []].append(link)
                free(target)
            }
        }
        return links
    }
}
