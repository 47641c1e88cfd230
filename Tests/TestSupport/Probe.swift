import Foundation

/// What ffprobe (not our code) says about a media file.
public struct Probe: Sendable {
    public struct Stream: Sendable {
        public let index: Int
        public let codecType: String
        public let codecName: String
        public let width: Int?
        public let height: Int?
        public let frameRate: String?
        public let sampleRate: Int?
        public let channels: Int?
    }

    public struct PacketInfo: Sendable {
        public let stream: Int
        public let pts: Double
        public let duration: Double?
        /// Byte offset and size in the file (-1 when ffprobe gives none).
        public let pos: Int
        public let size: Int
        public var end: Double { pts + (duration ?? 0) }
    }

    public let streams: [Stream]
    public let formatDuration: Double?

    public init(_ path: String) throws {
        let r = try Run.tool("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path])
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw NSError(domain: "Probe", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "ffprobe \(path): \(r.stderr)"])
        }
        streams = (json["streams"] as? [[String: Any]] ?? []).map { s in
            Stream(index: s["index"] as? Int ?? -1, codecType: s["codec_type"] as? String ?? "", codecName: s["codec_name"] as? String ?? "",
                   width: s["width"] as? Int, height: s["height"] as? Int, frameRate: s["r_frame_rate"] as? String,
                   sampleRate: (s["sample_rate"] as? String).flatMap(Int.init), channels: s["channels"] as? Int)
        }
        formatDuration = ((json["format"] as? [String: Any])?["duration"] as? String).flatMap(Double.init)
    }

    /// Every packet's stream, pts and duration in seconds, and byte range, in file order.
    public static func packets(_ path: String) throws -> [PacketInfo] {
        let r = try Run.tool("ffprobe", ["-v", "error", "-print_format", "json", "-show_entries", "packet=stream_index,pts_time,duration_time,pos,size", path])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return (json?["packets"] as? [[String: Any]] ?? []).compactMap { p in
            guard let pts = (p["pts_time"] as? String).flatMap(Double.init) else { return nil }
            return PacketInfo(stream: p["stream_index"] as? Int ?? -1, pts: pts, duration: (p["duration_time"] as? String).flatMap(Double.init),
                              pos: (p["pos"] as? String).flatMap(Int.init) ?? -1, size: (p["size"] as? String).flatMap(Int.init) ?? -1)
        }
    }

    /// ffmpeg's own decode of the whole file: status and whatever it printed at -v error.
    public static func decodeErrors(_ path: String, strict: Bool = false) throws -> ProcessResult {
        let args = strict ? ["-v", "error", "-err_detect", "explode", "-xerror", "-i", path, "-f", "null", "-"]
                          : ["-v", "error", "-i", path, "-f", "null", "-"]
        return try Run.tool("ffmpeg", args)
    }
}
