import Glibc
import CV4L2

/// One picture format a camera offers, with its sizes and their frame rates.
public struct V4L2FormatInfo: Sendable, Codable, Equatable {
    public let fourcc: String
    /// FFmpeg name to put in a room configuration, nil when sealrec cannot take this format.
    public let name: String?
    public let description: String
    /// Converted by libv4l2 rather than given by the camera (costs CPU).
    public let emulated: Bool
    public let sizes: [V4L2FrameSize]
}

public struct V4L2FrameSize: Sendable, Codable, Equatable {
    public let width: Int
    public let height: Int
    /// Frames per second; fractional rates (30000/1001) are kept as such.
    public let frameRates: [Double]
}

extension V4L2Device {
    /// Every capture format, size and rate the camera lists. Stepwise sizes are listed by their
    /// smallest and largest (enumerating every step would list thousands).
    /// `only`: list sizes just for these formats (enumerating every size and rate of every format
    /// takes many calls; a driver like vivid offers 80 formats).
    public func formats(only: Set<FourCC>? = nil) throws(DeviceError) -> [V4L2FormatInfo] {
        var result: [V4L2FormatInfo] = []
        for (fourcc, description, emulated) in try formatCodes() where only?.contains(fourcc) ?? true {
            result.append(V4L2FormatInfo(fourcc: fourcc.description, name: fourcc.ffmpegName, description: description,
                                         emulated: emulated, sizes: try sizes(of: fourcc)))
        }
        return result
    }

    /// The formats' codes alone: one call per format.
    func formatCodes() throws(DeviceError) -> [(FourCC, String, Bool)] {
        var result: [(FourCC, String, Bool)] = []
        var desc = v4l2_fmtdesc()
        desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        while try enumerate(SR_VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT", &desc) {
            result.append((FourCC(desc.pixelformat), cString(desc.description), desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0))
            desc.index += 1
        }
        return result
    }

    /// What to tell someone whose configuration asks for something else: the formats sealrec can
    /// take, with their sizes and rates (or just those of `format`), and how many others exist.
    func supportSummary(for format: FourCC? = nil) throws(DeviceError) -> String {
        let codes = try formatCodes().map(\.0)
        let usable = Set(codes.filter { $0.ffmpegName != nil && (format == nil || $0 == format) })
        let listed = try formats(only: usable).summary
        let others = codes.count - usable.count
        return listed.isEmpty ? "no format sealrec takes" : listed + (format == nil && others > 0 ? "; and \(others) formats sealrec does not take" : "")
    }

    func sizes(of fourcc: FourCC) throws(DeviceError) -> [V4L2FrameSize] {
        var sizes: [(Int, Int)] = []
        var e = v4l2_frmsizeenum()
        e.pixel_format = fourcc.code
        while try enumerate(SR_VIDIOC_ENUM_FRAMESIZES, "VIDIOC_ENUM_FRAMESIZES", &e) {
            if e.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append((Int(e.discrete.width), Int(e.discrete.height)))
            } else {
                sizes.append((Int(e.stepwise.min_width), Int(e.stepwise.min_height)))
                sizes.append((Int(e.stepwise.max_width), Int(e.stepwise.max_height)))
                break
            }
            e.index += 1
        }
        var result: [V4L2FrameSize] = []
        for (w, h) in sizes {
            result.append(V4L2FrameSize(width: w, height: h, frameRates: try frameRates(of: fourcc, width: w, height: h)))
        }
        return result
    }

    func frameRates(of fourcc: FourCC, width: Int, height: Int) throws(DeviceError) -> [Double] {
        var rates: [Double] = []
        var e = v4l2_frmivalenum()
        e.pixel_format = fourcc.code
        e.width = UInt32(width)
        e.height = UInt32(height)
        while try enumerate(SR_VIDIOC_ENUM_FRAMEINTERVALS, "VIDIOC_ENUM_FRAMEINTERVALS", &e) {
            if e.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                if e.discrete.numerator > 0 { rates.append(Double(e.discrete.denominator) / Double(e.discrete.numerator)) }
            } else {
                // Continuous or stepwise: the fastest and slowest rates bound the range.
                for f in [e.stepwise.min, e.stepwise.max] where f.numerator > 0 {
                    rates.append(Double(f.denominator) / Double(f.numerator))
                }
                break
            }
            e.index += 1
        }
        return rates
    }
}

extension Array where Element == V4L2FormatInfo {
    /// "YUYV (yuyv422) 320x180@25,30 640x360@25 ..." for error messages.
    public var summary: String {
        map { f in
            let sizes = f.sizes.prefix(8).map { (s: V4L2FrameSize) -> String in
                let rates: [String] = s.frameRates.map(rateText)
                return "\(s.width)x\(s.height)@" + rates.joined(separator: ",")
            }
            return "\(f.fourcc) (\(f.name ?? "not supported by sealrec")) \(sizes.joined(separator: " "))"
        }.joined(separator: "; ")
    }
}

/// 25 or 29.97: whole rates without decimals.
func rateText(_ fps: Double) -> String {
    fps == fps.rounded() ? String(Int(fps)) : String(Double(Int(fps * 100)) / 100)
}
