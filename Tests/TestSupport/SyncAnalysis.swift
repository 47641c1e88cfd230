import Foundation
import SealrecAV

/// Finds the synthetic sources' sync marks in a recording by decoding it with FFmpeg:
/// white flash frames in a video track, beep onsets in an audio track.
public enum SyncAnalysis {
    /// Times (s) of frames whose mean luma says "white flash".
    public static func flashTimes(_ path: String, stream: Int) throws -> [Double] {
        let reader = try MediaReader(path: path)
        var times: [Double] = []
        try reader.decode(stream: stream) { frame, t in
            let mean = frame.withPlane(0) { bytes, stride, rows -> Double in
                var sum = 0, n = 0
                var y = 0
                while y < rows { var x = 0; while x < frame.width { sum += Int(bytes[y * stride + x]); n += 1; x += 7 }; y += 5 }
                return Double(sum) / Double(max(n, 1))
            }
            if mean > 200 { times.append(t) }
        }
        return times
    }

    /// Beep times (s). A beep is timed by its first sample above `threshold` after at least 0.5 s
    /// below it. An AAC decoder needs one frame (1024 samples) of history, so the first frame of a
    /// decoded file comes out attenuated: a beep starting there is timed by its last loud sample
    /// minus `beepSeconds` instead.
    public static func beepTimes(_ path: String, stream: Int, beepSeconds: Double, threshold: Float = 0.3) throws -> [Double] {
        let reader = try MediaReader(path: path)
        var onsets: [Double] = [], ends: [Double] = []
        var lastLoud = -Double.infinity
        var firstSample: Double?
        var warmup = 0.0
        try reader.decode(stream: stream) { frame, t in
            let rate = Double(frame.sampleRate)
            if firstSample == nil { firstSample = t; warmup = Double(max(frame.sampleCount, 1024)) / rate }
            frame.withSamples(0) { raw in
                let samples = raw.bindMemory(to: Float.self)
                let step = frame.sampleFormat.isPlanar ? 1 : frame.channels
                var i = 0
                while i < frame.sampleCount {
                    if abs(samples[i * step]) > threshold {
                        let time = t + Double(i) / rate
                        if time - lastLoud > 0.5 { onsets.append(time); ends.append(time) }
                        ends[ends.count - 1] = time + 1 / rate
                        lastLoud = time
                    }
                    i += 1
                }
            }
        }
        return zip(onsets, ends).map { onset, end in
            onset - (firstSample ?? 0) < warmup ? end - beepSeconds : onset
        }
    }

    /// Pairs each flash with the nearest beep; returns the offsets (beep - flash, seconds).
    public static func offsets(flashes: [Double], beeps: [Double]) -> [Double] {
        flashes.compactMap { f in beeps.min(by: { abs($0 - f) < abs($1 - f) }).map { $0 - f } }
    }
}
