import Glibc
import CV4L2

/// A camera control (exposure, white balance, focus...), named as v4l2-ctl names it.
public struct V4L2Control: Sendable, Codable, Equatable {
    public let id: UInt32
    /// "exposure_time_absolute", "white_balance_automatic": lower case, underscores.
    public let name: String
    public let type: String
    public let minimum: Int
    public let maximum: Int
    public let step: Int
    public let defaultValue: Int
    public let value: Int?
    /// Menu entries by value, for menu controls (auto_exposure: 1 "Manual Mode", 3 "Aperture Priority Mode").
    public let menu: [String: String]?
}

extension V4L2Device {
    /// Every control the camera offers that can be set as an integer, menu or boolean.
    public func controls() throws(DeviceError) -> [V4L2Control] {
        var result: [V4L2Control] = []
        var q = v4l2_queryctrl()
        q.id = SR_V4L2_CTRL_FLAG_NEXT_CTRL
        while try enumerate(SR_VIDIOC_QUERYCTRL, "VIDIOC_QUERYCTRL", &q) {
            defer { q.id |= SR_V4L2_CTRL_FLAG_NEXT_CTRL }
            let type = controlTypeName(q.type)
            guard q.flags & UInt32(V4L2_CTRL_FLAG_DISABLED) == 0, let type else { continue }
            var c = v4l2_control(id: q.id, value: 0)
            let readable = v4l2Ioctl(fd, SR_VIDIOC_G_CTRL, &c) == 0
            result.append(V4L2Control(id: q.id, name: V4L2Control.normalise(cString(q.name)), type: type,
                                      minimum: Int(q.minimum), maximum: Int(q.maximum), step: Int(q.step),
                                      defaultValue: Int(q.default_value), value: readable ? Int(c.value) : nil,
                                      menu: type == "menu" ? try menu(q) : nil))
        }
        return result
    }

    private func menu(_ q: v4l2_queryctrl) throws(DeviceError) -> [String: String] {
        var entries: [String: String] = [:]
        guard q.minimum <= q.maximum else { return entries }
        for i in q.minimum...q.maximum {
            var m = v4l2_querymenu()
            m.id = q.id
            m.index = UInt32(i)
            if v4l2Ioctl(fd, SR_VIDIOC_QUERYMENU, &m) == 0 {
                entries[String(i)] = cString(m.name)
            }
        }
        return entries
    }

    /// Sets controls by name. Automatic modes are applied first, because a manual value
    /// (exposure time) is refused while its automatic mode is on.
    public func setControls(_ values: [String: Int]) throws(DeviceError) {
        guard !values.isEmpty else { return }
        let available = try controls()
        let ordered = values.sorted { a, b in
            let (autoA, autoB) = (a.key.contains("auto"), b.key.contains("auto"))
            return autoA != autoB ? autoA : a.key < b.key
        }
        for (name, value) in ordered {
            guard let control = available.first(where: { $0.name == name }) else {
                throw unsupported(path, "control \(name)", supports: available.map(\.name).joined(separator: ", "))
            }
            guard (control.minimum...control.maximum).contains(value) else {
                throw unsupported(path, "\(name)=\(value)", supports: "\(control.minimum) to \(control.maximum)")
            }
            var c = v4l2_control(id: control.id, value: Int32(value))
            try ioctl(SR_VIDIOC_S_CTRL, "VIDIOC_S_CTRL \(name)=\(value)", &c)
        }
    }
}

extension V4L2Control {
    /// "Exposure Time, Absolute" -> "exposure_time_absolute", as v4l2-ctl shows it.
    static func normalise(_ label: String) -> String {
        var out = ""
        for ch in label.lowercased() {
            if ch.isLetter || ch.isNumber { out.append(ch) } else if !out.isEmpty, out.last != "_" { out.append("_") }
        }
        while out.last == "_" { out.removeLast() }
        return out
    }
}

private func controlTypeName(_ type: UInt32) -> String? {
    switch type {
    case V4L2_CTRL_TYPE_INTEGER.rawValue: return "int"
    case V4L2_CTRL_TYPE_BOOLEAN.rawValue: return "bool"
    case V4L2_CTRL_TYPE_MENU.rawValue: return "menu"
    case V4L2_CTRL_TYPE_INTEGER_MENU.rawValue: return "menu"
    case V4L2_CTRL_TYPE_BUTTON.rawValue: return "button"
    default: return nil
    }
}
