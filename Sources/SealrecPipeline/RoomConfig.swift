import Foundation
import SealrecCrypto
import SealrecSystem

/// A room's recording configuration (JSON). Every field has a default, so `{}` is a valid room:
/// one synthetic camera and one synthetic microphone. Unknown keys are errors, not ignored.
public struct RoomConfig: Codable, Sendable, Equatable {
    public var room: Room = Room()
    public var segmentSeconds: Int = 4
    public var cameras: [Camera] = [Camera()]
    public var microphones: [Microphone] = [Microphone()]
    public var video: VideoEncoding = VideoEncoding()
    public var audio: AudioEncoding = AudioEncoding()
    /// Capacity of each capture queue, in buffers: what a slow encoder may lag before drops.
    public var queueDepth: Int = 16
    /// What the room daemon needs beyond the recording itself.
    public var daemon: Daemon = Daemon()
    /// The room picture: cameras composed into one track with the date and time burned in.
    public var composite: Composite?

    public struct Composite: Codable, Sendable, Equatable {
        public var width: Int = 1280
        public var height: Int = 720
        public var frameRate: Int = 25
        /// Camera filling the frame (the interviewee, frontal medium shot).
        public var main: String = "cam1"
        /// Camera shown inset in a corner (the full room view); nil for none.
        public var inset: String?
        public var insetPosition: InsetPosition = .topRight
        public var insetWidth: Int?
        public var insetHeight: Int?
        public var insetMargin: Int = 16
        public var border: Int = 4
        public var tracks: Tracks = .compositeAndCameras
        public var font: String = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        public var fontSize: Int?
        /// IANA zone for the burned-in time, e.g. "Europe/Berlin".
        public var timeZone: String = "UTC"
        /// Add the frame number after the time (time to the frame, not only to the second).
        public var showFrameNumber: Bool = false
        /// A file whose first line (e.g. "21.5 °C 45 %RH") is shown after the room name; re-read as it changes.
        public var readingsFile: String?
        public init() {}

        public enum InsetPosition: String, Codable, Sendable, CaseIterable {
            case topLeft = "top-left", topRight = "top-right", bottomLeft = "bottom-left", bottomRight = "bottom-right"
        }

        public enum Tracks: String, Codable, Sendable, CaseIterable {
            /// The composite first, then every camera on its own track.
            case compositeAndCameras = "composite+cameras"
            /// Only the composite (small machines).
            case composite
        }

        public var withCameraTracks: Bool { tracks == .compositeAndCameras }
        public var resolvedInsetSize: (Int, Int) { ((insetWidth ?? width / 3) & ~1, (insetHeight ?? height / 3) & ~1) }
        public var resolvedFontSize: Int { fontSize ?? max(12, height / 26) }

        /// Top-left corner of the inset's border.
        public var insetOrigin: (Int, Int) {
            let (w, h) = resolvedInsetSize
            let outerW = w + 2 * border, outerH = h + 2 * border
            let left = insetPosition == .topLeft || insetPosition == .bottomLeft
            let top = insetPosition == .topLeft || insetPosition == .topRight
            return ((left ? insetMargin : width - outerW - insetMargin) & ~1, (top ? insetMargin : height - outerH - insetMargin) & ~1)
        }
    }

    public struct Daemon: Codable, Sendable, Equatable {
        /// Sessions are recorded here (one folder each) until uploaded.
        public var spool: String = "/var/lib/sealrec/spool"
        /// The room's private signing key (0600, owned by the daemon's user).
        public var key: String = "/etc/sealrec/room.key"
        /// Control socket of the room terminal and the CLI.
        public var socket: String = "/run/sealrec/control.sock"
        /// Group allowed to use the socket (mode 0660); nil keeps the daemon's own group.
        public var socketGroup: String? = "sealrec"
        /// Free space that must remain: no session starts below it, a session stops before it.
        public var reserveMegabytes: Int = 2048
        /// The central store sessions are uploaded to while they record (s3://... or a folder); nil: none.
        public var store: String?
        public var uploadConcurrency: Int = 2
        /// Bandwidth cap for uploads (rooms share thin links); nil: none.
        public var uploadMaxBytesPerSecond: Int?
        /// Local copies are deleted this long after the store confirmed them; nil: kept.
        public var localRetentionHours: Double?
        public init() {}
    }

    public struct Room: Codable, Sendable, Equatable {
        public var id: String = "demo-room"
        public var name: String = "Demo interview room"
        public init() {}
    }

    public enum SourceKind: String, Codable, Sendable { case synthetic, raw, v4l2, alsa }

    public struct Camera: Codable, Sendable, Equatable {
        public var name: String = "cam1"
        public var source: SourceKind = .synthetic
        public var width: Int = 1280
        public var height: Int = 720
        public var frameRate: Int = 25
        /// raw: the file; v4l2: the device path.
        public var path: String?
        /// raw: the file's pixel format; v4l2: the format to ask the camera for (FFmpeg names:
        /// yuyv422 (the default), nv12, mjpeg...).
        public var pixelFormat: String?
        /// synthetic: the camera fails after this many seconds (to rehearse a camera that disappears).
        public var failAfterSeconds: Double?
        /// v4l2: camera controls to set at start, by v4l2-ctl name (e.g. "auto_exposure": 1,
        /// "exposure_time_absolute": 250), from the room's camera profile.
        public var controls: [String: Int]?
        public init() {}
    }

    public struct Microphone: Codable, Sendable, Equatable {
        public var name: String = "mic1"
        public var source: SourceKind = .synthetic
        public var sampleRate: Int = 48_000
        public var channels: Int = 1
        public var path: String?
        /// raw: the file's sample format (FFmpeg name, e.g. s16).
        public var sampleFormat: String?
        /// synthetic: the steady tone's frequency (the sync beep is always 1 kHz).
        public var toneHz: Double?
        public init() {}
    }

    public struct VideoEncoding: Codable, Sendable, Equatable {
        public var encoder: String = "libx264"
        public var preset: String? = "veryfast"
        public var crf: Int? = 23
        public var bitRate: Int?
        public var options: [String: String] = [:]
        public init() {}
    }

    public struct AudioEncoding: Codable, Sendable, Equatable {
        public var encoder: String = "aac"
        public var bitRate: Int = 128_000
        public var sampleRate: Int = 48_000
        public var options: [String: String] = [:]
        public init() {}
    }

    public init() {}
}

/// A configuration problem, worded for the person editing the file.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension RoomConfig {
    /// A room configuration is a few KiB; 1 MiB is far past any real one.
    public static let maxFileBytes: Int64 = 1 << 20

    /// Reads the file as the operator named it (through a link), but only a regular file within the
    /// bound: a FIFO or a device given as --config is an error, not a hang.
    public static func load(path: String) throws -> RoomConfig {
        let bytes: [UInt8]
        do {
            bytes = try UntrustedFile(path, path: "room config " + path, followingLinks: true).readAll(limit: maxFileBytes)
        } catch {
            throw ConfigError("cannot read \(error)")  // "cannot read room config PATH: why"
        }
        return try parse(Data(bytes), origin: path)
    }

    public static func parse(_ data: Data, origin: String = "room config") throws -> RoomConfig {
        let config: RoomConfig
        do { config = try JSONDecoder().decode(RoomConfig.self, from: data) } catch let e as ConfigError {
            throw ConfigError("\(origin): \(e.message)")
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            throw ConfigError("\(origin): \(keyPath(ctx.codingPath)): \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ConfigError("\(origin): not valid JSON\(ctx.underlyingError.map { " (\(($0 as NSError).userInfo["NSDebugDescription"] ?? $0))" } ?? "")")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw ConfigError("\(origin): \(keyPath(ctx.codingPath)) should be \(type)")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw ConfigError("\(origin): \(keyPath(ctx.codingPath)) should be \(type), not null")
        } catch {
            throw ConfigError("\(origin): \(error)")
        }
        try config.validate(origin: origin)
        return config
    }

    static func keyPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Checks values the types cannot: ranges, names, what each source kind needs.
    public func validate(origin: String = "room config") throws {
        func fail(_ m: String) -> ConfigError { ConfigError("\(origin): \(m)") }
        guard (1...60).contains(segmentSeconds) else { throw fail("segmentSeconds must be 1 to 60, not \(segmentSeconds)") }
        guard !cameras.isEmpty || !microphones.isEmpty else { throw fail("no cameras and no microphones: nothing to record") }
        guard (2...1024).contains(queueDepth) else { throw fail("queueDepth must be 2 to 1024, not \(queueDepth)") }
        var names = Set<String>()
        for c in cameras {
            guard !c.name.isEmpty, names.insert(c.name).inserted else { throw fail("camera name '\(c.name)' is empty or used twice") }
            guard c.width >= 16, c.height >= 16, c.width <= 7680, c.height <= 4320, c.width % 2 == 0, c.height % 2 == 0 else {
                throw fail("camera \(c.name): size \(c.width)x\(c.height) must be even, 16x16 to 7680x4320")
            }
            guard (1...120).contains(c.frameRate) else { throw fail("camera \(c.name): frameRate must be 1 to 120, not \(c.frameRate)") }
            switch c.source {
            case .raw:
                guard c.path != nil else { throw fail("camera \(c.name): a raw source needs \"path\"") }
                guard c.pixelFormat != nil else { throw fail("camera \(c.name): a raw source needs \"pixelFormat\" (e.g. yuyv422)") }
            case .v4l2:
                guard c.path != nil else { throw fail("camera \(c.name): a v4l2 source needs \"path\" (e.g. /dev/video0)") }
            case .synthetic: break
            case .alsa: throw fail("camera \(c.name): alsa is a microphone source")
            }
        }
        for m in microphones {
            guard !m.name.isEmpty, names.insert(m.name).inserted else { throw fail("microphone name '\(m.name)' is empty or used twice") }
            guard (8_000...192_000).contains(m.sampleRate) else { throw fail("microphone \(m.name): sampleRate must be 8000 to 192000, not \(m.sampleRate)") }
            guard (1...8).contains(m.channels) else { throw fail("microphone \(m.name): channels must be 1 to 8, not \(m.channels)") }
            switch m.source {
            case .raw:
                guard m.path != nil else { throw fail("microphone \(m.name): a raw source needs \"path\"") }
                guard m.sampleFormat != nil else { throw fail("microphone \(m.name): a raw source needs \"sampleFormat\" (e.g. s16)") }
            case .alsa:
                guard m.path != nil else { throw fail("microphone \(m.name): an alsa source needs \"path\" (the PCM name, e.g. hw:CARD=Device)") }
            case .synthetic: break
            case .v4l2: throw fail("microphone \(m.name): v4l2 is a camera source")
            }
        }
        if let crf = video.crf, !(0...51).contains(crf) { throw fail("video.crf must be 0 to 51, not \(crf)") }
        if let rate = video.bitRate, rate < 10_000 { throw fail("video.bitRate \(rate) is below 10000 bit/s") }
        if let composite { try composite.validate(cameras: cameras.map(\.name), fail: fail) }
        guard daemon.reserveMegabytes >= 0 else { throw fail("daemon.reserveMegabytes must not be negative") }
        guard daemon.socket.utf8.count < 108 else { throw fail("daemon.socket path is longer than a Unix socket path may be (107 bytes)") }
        guard audio.bitRate >= 8_000 else { throw fail("audio.bitRate \(audio.bitRate) is below 8000 bit/s") }
    }

    /// The same room with every source replaced by a synthetic one of the same name and shape.
    public func withSyntheticSources() -> RoomConfig {
        var c = self
        c.cameras = cameras.map { var x = $0; x.source = .synthetic; x.path = nil; x.pixelFormat = nil; x.controls = nil; return x }
        c.microphones = microphones.map { var x = $0; x.source = .synthetic; x.path = nil; x.sampleFormat = nil; return x }
        return c
    }
}

// MARK: - Decoding with defaults and unknown-key rejection

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Fails on keys a section does not know: a misspelt "segmentSecond" must not silently become the default.
func rejectUnknownKeys(_ decoder: Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        let path = RoomConfig.keyPath(decoder.codingPath + [key])
        throw ConfigError("unknown key '\(path)' (known here: \(known.joined(separator: ", ")))")
    }
}

/// The start of each section's decoder: its unknown keys refused, then its container.
func section<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _ keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
    try rejectUnknownKeys(decoder, known: Keys.allCases.map(\.stringValue))
    return try decoder.container(keyedBy: Keys.self)
}

/// Each decoder starts from the section's defaults (`init()`) and replaces what the file gives.
extension KeyedDecodingContainer {
    /// An absent key keeps the default.
    func merge<T: Decodable>(_ key: Key, into value: inout T) throws {
        if let given = try decodeIfPresent(T.self, forKey: key) { value = given }
    }

    /// An absent key keeps the default; an explicit null switches it off (e.g. crf: null with a bitRate).
    func mergeNullable<T: Decodable>(_ key: Key, into value: inout T?) throws {
        if contains(key) { value = try decodeIfPresent(T.self, forKey: key) }
    }

    /// One of a fixed set of names; another name is refused with the list of those allowed.
    func choice<T: RawRepresentable & CaseIterable>(_ key: Key, into value: inout T) throws where T.RawValue == String {
        guard let name = try decodeIfPresent(String.self, forKey: key) else { return }
        guard let choice = T(rawValue: name) else {
            let names = T.allCases.map(\.rawValue)
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            throw ConfigError("\(RoomConfig.keyPath(codingPath + [key])) must be \(list), not '\(name)'")
        }
        value = choice
    }
}

extension RoomConfig {
    enum CodingKeys: String, CodingKey, CaseIterable { case room, segmentSeconds, cameras, microphones, video, audio, queueDepth, daemon, composite }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RoomConfig()
        try c.merge(.room, into: &room)
        try c.merge(.segmentSeconds, into: &segmentSeconds)
        try c.merge(.cameras, into: &cameras)
        try c.merge(.microphones, into: &microphones)
        try c.merge(.video, into: &video)
        try c.merge(.audio, into: &audio)
        try c.merge(.queueDepth, into: &queueDepth)
        try c.merge(.daemon, into: &daemon)
        try c.mergeNullable(.composite, into: &composite)
    }
}

extension RoomConfig.Composite {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case width, height, frameRate, main, inset, insetPosition, insetWidth, insetHeight, insetMargin, border, tracks, font,
             fontSize, timeZone, showFrameNumber, readingsFile
    }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.width, into: &width)
        try c.merge(.height, into: &height)
        try c.merge(.frameRate, into: &frameRate)
        try c.merge(.main, into: &main)
        try c.mergeNullable(.inset, into: &inset)
        try c.choice(.insetPosition, into: &insetPosition)
        try c.mergeNullable(.insetWidth, into: &insetWidth)
        try c.mergeNullable(.insetHeight, into: &insetHeight)
        try c.merge(.insetMargin, into: &insetMargin)
        try c.merge(.border, into: &border)
        try c.choice(.tracks, into: &tracks)
        try c.merge(.font, into: &font)
        try c.mergeNullable(.fontSize, into: &fontSize)
        try c.merge(.timeZone, into: &timeZone)
        try c.merge(.showFrameNumber, into: &showFrameNumber)
        try c.mergeNullable(.readingsFile, into: &readingsFile)
    }

    /// Everything that would make the composite wrong, found before recording starts.
    func validate(cameras: [String], fail: (String) -> ConfigError) throws {
        guard width >= 160, height >= 120, width % 2 == 0, height % 2 == 0, width <= 7680, height <= 4320 else {
            throw fail("composite size \(width)x\(height) must be even, 160x120 to 7680x4320")
        }
        guard (1...120).contains(frameRate) else { throw fail("composite.frameRate must be 1 to 120, not \(frameRate)") }
        guard cameras.contains(main) else {
            throw fail("composite.main is camera '\(main)', which is not configured (cameras: \(cameras.joined(separator: ", ")))")
        }
        if let inset {
            guard cameras.contains(inset) else {
                throw fail("composite.inset is camera '\(inset)', which is not configured (cameras: \(cameras.joined(separator: ", ")))")
            }
            let (w, h) = resolvedInsetSize
            let (x, y) = insetOrigin
            guard w >= 16, h >= 16, border >= 0, insetMargin >= 0, x >= 0, y >= 0,
                  x + w + 2 * border <= width, y + h + 2 * border <= height else {
                throw fail("composite layout does not fit: inset \(w)x\(h) with border \(border) and margin \(insetMargin) at \(insetPosition.rawValue) is outside the \(width)x\(height) frame")
            }
        }
        guard FileManager.default.isReadableFile(atPath: font) else {
            throw fail("composite.font \(font) does not exist or is not readable (Debian's fonts-dejavu-core has /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)")
        }
        guard TimeZone(identifier: timeZone) != nil else { throw fail("composite.timeZone '\(timeZone)' is not a known time zone (e.g. UTC, Europe/Berlin)") }
        guard resolvedFontSize >= 8, resolvedFontSize * 2 < height else { throw fail("composite.fontSize \(resolvedFontSize) does not fit the frame") }
    }
}

extension RoomConfig.Daemon {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case spool, key, socket, socketGroup, reserveMegabytes, store, uploadConcurrency, uploadMaxBytesPerSecond, localRetentionHours
    }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.spool, into: &spool)
        try c.merge(.key, into: &key)
        try c.merge(.socket, into: &socket)
        try c.mergeNullable(.socketGroup, into: &socketGroup)
        try c.merge(.reserveMegabytes, into: &reserveMegabytes)
        try c.mergeNullable(.store, into: &store)
        try c.merge(.uploadConcurrency, into: &uploadConcurrency)
        try c.mergeNullable(.uploadMaxBytesPerSecond, into: &uploadMaxBytesPerSecond)
        try c.mergeNullable(.localRetentionHours, into: &localRetentionHours)
    }
}

extension RoomConfig.Room {
    enum CodingKeys: String, CodingKey, CaseIterable { case id, name }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.id, into: &id)
        try c.merge(.name, into: &name)
    }
}

extension RoomConfig.Camera {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, source, width, height, frameRate, path, pixelFormat, failAfterSeconds, controls }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.name, into: &name)
        try c.merge(.source, into: &source)
        try c.merge(.width, into: &width)
        try c.merge(.height, into: &height)
        try c.merge(.frameRate, into: &frameRate)
        try c.mergeNullable(.path, into: &path)
        try c.mergeNullable(.pixelFormat, into: &pixelFormat)
        try c.mergeNullable(.failAfterSeconds, into: &failAfterSeconds)
        try c.mergeNullable(.controls, into: &controls)
    }
}

extension RoomConfig.Microphone {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, source, sampleRate, channels, path, sampleFormat, toneHz }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.name, into: &name)
        try c.merge(.source, into: &source)
        try c.merge(.sampleRate, into: &sampleRate)
        try c.merge(.channels, into: &channels)
        try c.mergeNullable(.path, into: &path)
        try c.mergeNullable(.sampleFormat, into: &sampleFormat)
        try c.mergeNullable(.toneHz, into: &toneHz)
    }
}

extension RoomConfig.VideoEncoding {
    enum CodingKeys: String, CodingKey, CaseIterable { case encoder, preset, crf, bitRate, options }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.encoder, into: &encoder)
        try c.mergeNullable(.preset, into: &preset)
        try c.mergeNullable(.bitRate, into: &bitRate)
        if bitRate != nil { crf = nil }  // a bit rate replaces the default quality
        try c.mergeNullable(.crf, into: &crf)
        try c.merge(.options, into: &options)
    }
}

extension RoomConfig.AudioEncoding {
    enum CodingKeys: String, CodingKey, CaseIterable { case encoder, bitRate, sampleRate, options }
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try section(decoder, CodingKeys.self)
        try c.merge(.encoder, into: &encoder)
        try c.merge(.bitRate, into: &bitRate)
        try c.merge(.sampleRate, into: &sampleRate)
        try c.merge(.options, into: &options)
    }
}
