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

extension KeyedDecodingContainer {
    func value<T: Decodable>(_ key: Key, default value: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? value
    }

    /// One of a fixed set of names; another name is refused with the list of those allowed.
    func choice<T: RawRepresentable & CaseIterable>(_ key: Key, default value: T) throws -> T where T.RawValue == String {
        guard let name = try decodeIfPresent(String.self, forKey: key) else { return value }
        guard let choice = T(rawValue: name) else {
            let names = T.allCases.map(\.rawValue)
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            throw ConfigError("\(RoomConfig.keyPath(codingPath + [key])) must be \(list), not '\(name)'")
        }
        return choice
    }
}

extension RoomConfig {
    enum CodingKeys: String, CodingKey, CaseIterable { case room, segmentSeconds, cameras, microphones, video, audio, queueDepth, daemon, composite }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RoomConfig()
        room = try c.value(.room, default: d.room)
        segmentSeconds = try c.value(.segmentSeconds, default: d.segmentSeconds)
        cameras = try c.value(.cameras, default: d.cameras)
        microphones = try c.value(.microphones, default: d.microphones)
        video = try c.value(.video, default: d.video)
        audio = try c.value(.audio, default: d.audio)
        queueDepth = try c.value(.queueDepth, default: d.queueDepth)
        daemon = try c.value(.daemon, default: d.daemon)
        composite = try c.decodeIfPresent(Composite.self, forKey: .composite)
    }
}

extension RoomConfig.Composite {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case width, height, frameRate, main, inset, insetPosition, insetWidth, insetHeight, insetMargin, border, tracks, font,
             fontSize, timeZone, showFrameNumber, readingsFile
    }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        width = try c.value(.width, default: d.width)
        height = try c.value(.height, default: d.height)
        frameRate = try c.value(.frameRate, default: d.frameRate)
        main = try c.value(.main, default: d.main)
        inset = try c.decodeIfPresent(String.self, forKey: .inset)
        insetPosition = try c.choice(.insetPosition, default: d.insetPosition)
        insetWidth = try c.decodeIfPresent(Int.self, forKey: .insetWidth)
        insetHeight = try c.decodeIfPresent(Int.self, forKey: .insetHeight)
        insetMargin = try c.value(.insetMargin, default: d.insetMargin)
        border = try c.value(.border, default: d.border)
        tracks = try c.choice(.tracks, default: d.tracks)
        font = try c.value(.font, default: d.font)
        fontSize = try c.decodeIfPresent(Int.self, forKey: .fontSize)
        timeZone = try c.value(.timeZone, default: d.timeZone)
        showFrameNumber = try c.value(.showFrameNumber, default: d.showFrameNumber)
        readingsFile = try c.decodeIfPresent(String.self, forKey: .readingsFile)
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
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        spool = try c.value(.spool, default: d.spool)
        key = try c.value(.key, default: d.key)
        socket = try c.value(.socket, default: d.socket)
        socketGroup = c.contains(.socketGroup) ? try c.decodeIfPresent(String.self, forKey: .socketGroup) : d.socketGroup
        reserveMegabytes = try c.value(.reserveMegabytes, default: d.reserveMegabytes)
        store = try c.decodeIfPresent(String.self, forKey: .store)
        uploadConcurrency = try c.value(.uploadConcurrency, default: d.uploadConcurrency)
        uploadMaxBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .uploadMaxBytesPerSecond)
        localRetentionHours = try c.decodeIfPresent(Double.self, forKey: .localRetentionHours)
    }
}

extension RoomConfig.Room {
    enum CodingKeys: String, CodingKey, CaseIterable { case id, name }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        id = try c.value(.id, default: d.id)
        name = try c.value(.name, default: d.name)
    }
}

extension RoomConfig.Camera {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, source, width, height, frameRate, path, pixelFormat, failAfterSeconds, controls }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        name = try c.value(.name, default: d.name)
        source = try c.value(.source, default: d.source)
        width = try c.value(.width, default: d.width)
        height = try c.value(.height, default: d.height)
        frameRate = try c.value(.frameRate, default: d.frameRate)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        pixelFormat = try c.decodeIfPresent(String.self, forKey: .pixelFormat)
        failAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .failAfterSeconds)
        controls = try c.decodeIfPresent([String: Int].self, forKey: .controls)
    }
}

extension RoomConfig.Microphone {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, source, sampleRate, channels, path, sampleFormat, toneHz }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        name = try c.value(.name, default: d.name)
        source = try c.value(.source, default: d.source)
        sampleRate = try c.value(.sampleRate, default: d.sampleRate)
        channels = try c.value(.channels, default: d.channels)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        sampleFormat = try c.decodeIfPresent(String.self, forKey: .sampleFormat)
        toneHz = try c.decodeIfPresent(Double.self, forKey: .toneHz)
    }
}

extension RoomConfig.VideoEncoding {
    enum CodingKeys: String, CodingKey, CaseIterable { case encoder, preset, crf, bitRate, options }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        encoder = try c.value(.encoder, default: d.encoder)
        // An explicit null switches a default off (e.g. crf: null with a bitRate).
        preset = c.contains(.preset) ? try c.decodeIfPresent(String.self, forKey: .preset) : d.preset
        bitRate = try c.decodeIfPresent(Int.self, forKey: .bitRate)
        crf = c.contains(.crf) ? try c.decodeIfPresent(Int.self, forKey: .crf) : (bitRate == nil ? d.crf : nil)
        options = try c.value(.options, default: d.options)
    }
}

extension RoomConfig.AudioEncoding {
    enum CodingKeys: String, CodingKey, CaseIterable { case encoder, bitRate, sampleRate, options }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        encoder = try c.value(.encoder, default: d.encoder)
        bitRate = try c.value(.bitRate, default: d.bitRate)
        sampleRate = try c.value(.sampleRate, default: d.sampleRate)
        options = try c.value(.options, default: d.options)
    }
}
