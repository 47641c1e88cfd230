import Foundation
import SealrecAV
import SealrecSystem

/// Reads a raw file sequentially into frames: shared by the raw video and raw audio sources.
final class RawFileReader {
    let path: String
    private let fd: FileDescriptor
    let size: Int64

    init(path: String, unit: Int, what: String) throws {
        self.path = path
        fd = try Files.open(path, O_RDONLY)
        do { size = Int64(try fd.status().st_size) } catch { try? fd.close(); throw SystemError("fstat", path: path, error) }
        guard size > 0, size % Int64(unit) == 0 else {
            try? fd.close()
            throw ConfigError("raw file \(path) is \(size) bytes, not a whole number of \(what) (\(unit) bytes each)")
        }
    }

    deinit { try? fd.close() }

    /// Fills `buffer` completely; false at a clean end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var done = 0
        while done < buffer.count {
            let n: Int
            do { n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...])) } catch { throw SystemError("read", path: path, error) }
            if n == 0 {
                if done == 0 { return false }
                throw ConfigError("raw file \(path) ended in the middle of a buffer (it changed while being read)")
            }
            done += n
        }
        return true
    }
}

/// Raw pictures of a known pixel format, size and rate, e.g. what `ffmpeg -f rawvideo` reads,
/// so the same bytes can be fed to sealrec and to other tools.
public final class RawVideoSource: CaptureSource, @unchecked Sendable {
    private let reader: RawFileReader
    public let width: Int, height: Int, frameRate: Int
    public let pixelFormat: PixelFormat
    private let pictureSize: Int
    private let pool: FramePool
    private var frameNumber: Int64 = 0
    private var scratch: [UInt8] = []

    public init(name: String, path: String, pixelFormat: String, width: Int, height: Int, frameRate: Int) throws {
        guard let format = PixelFormat(name: pixelFormat) else {
            throw ConfigError("camera \(name): unknown pixel format '\(pixelFormat)' (FFmpeg names, e.g. yuyv422, nv12, yuv420p)")
        }
        self.pixelFormat = format
        self.width = width; self.height = height; self.frameRate = frameRate
        pictureSize = format.pictureSize(width: width, height: height)
        pool = try FramePool(width: width, height: height, format: format)
        reader = try RawFileReader(path: path, unit: pictureSize, what: "\(width)x\(height) \(format) pictures")
        super.init(name: name, kind: .video)
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .video, source: "raw:\(reader.path)", format: "\(width)x\(height) \(pixelFormat) @ \(frameRate) fps")
    }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        let capture = context.origin + frameNumber * 1_000_000_000 / Int64(frameRate)
        if context.paced { MonotonicClock.sleep(until: capture) }
        let frame = try pool.frame()
        // A packed picture whose rows have no padding is read straight into the frame: one copy, as ffmpeg does.
        let direct = frame.planeCount == 1 && frame.withPlane(0) { $1 * $2 == pictureSize }
        if direct {
            guard try frame.withPlane(0, { bytes, _, _ in try reader.read(into: UnsafeMutableRawBufferPointer(bytes)) }) else { return nil }
        } else {
            if scratch.count != pictureSize { scratch = [UInt8](repeating: 0, count: pictureSize) }
            guard try scratch.withUnsafeMutableBytes({ try reader.read(into: $0) }) else { return nil }
            try scratch.withUnsafeBytes { try frame.fill(fromPacked: $0) }
        }
        frameNumber += 1
        return CapturedBuffer(frame: frame, captureTime: capture)
    }
}

/// Raw interleaved PCM of a known sample format, rate and channel count.
public final class RawAudioSource: CaptureSource, @unchecked Sendable {
    private let reader: RawFileReader
    public let sampleRate: Int, channels: Int
    public let sampleFormat: SampleFormat
    private let blockSamples = 1024
    private var sampleIndex: Int64 = 0

    public init(name: String, path: String, sampleFormat: String, sampleRate: Int, channels: Int) throws {
        guard let format = SampleFormat(name: sampleFormat), !format.isPlanar else {
            throw ConfigError("microphone \(name): '\(sampleFormat)' is not an interleaved sample format (use s16, s32 or flt)")
        }
        self.sampleFormat = format
        self.sampleRate = sampleRate; self.channels = channels
        reader = try RawFileReader(path: path, unit: format.bytesPerSample * channels, what: "\(channels)-channel \(format) samples")
        super.init(name: name, kind: .audio)
    }

    public override var description: SourceDescription {
        SourceDescription(name: name, kind: .audio, source: "raw:\(reader.path)", format: "\(sampleRate) Hz \(channels) ch \(sampleFormat)")
    }

    public override func next(context: CaptureContext) throws -> CapturedBuffer? {
        let bytesPerFrame = sampleFormat.bytesPerSample * channels
        let remaining = Int((reader.size / Int64(bytesPerFrame)) - sampleIndex)
        guard remaining > 0 else { return nil }
        let count = min(blockSamples, remaining)
        let capture = context.origin + sampleIndex * 1_000_000_000 / Int64(sampleRate)
        if context.paced { MonotonicClock.sleep(until: capture + Int64(count) * 1_000_000_000 / Int64(sampleRate)) }
        let frame = try Frame.audio(samples: count, format: sampleFormat, channels: channels, sampleRate: sampleRate)
        guard try frame.withSamples(0, { try reader.read(into: $0) }) else { return nil }
        sampleIndex += Int64(count)
        return CapturedBuffer(frame: frame, captureTime: capture)
    }
}
