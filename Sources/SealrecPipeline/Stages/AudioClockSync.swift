/// Keeps a device's audio on the session timeline. An audio track is a continuous count of
/// samples, but a microphone's crystal runs tens of ppm away from CLOCK_MONOTONIC (seconds over a
/// long session), so the count is compared with each buffer's capture time and the difference is
/// steered to zero by resampling slightly (libswresample compensation); a real hole (the device
/// was gone) is jumped over instead.
struct AudioClockSync {
    enum Action: Equatable {
        case none
        /// Add (positive) or remove `delta` samples spread over the next `distance` samples.
        case compensate(delta: Int, distance: Int)
        /// Continue the track at this sample: the audio before it is missing.
        case jump(toSample: Int64)
    }

    let rate: Int64
    /// Beyond this the difference is a hole, not drift.
    let jumpThreshold: Int64
    /// Largest correction, as a fraction of the rate (1000 ppm: inaudible, 10x any real crystal).
    let maxCorrection = 0.001
    /// Seconds over which a measured offset is corrected: long enough to average timestamp jitter.
    let correctionSeconds = 4.0
    private(set) var smoothedError: Double?
    private var nextAdjustment: Int64 = 0
    /// Samples added (positive) or removed so far, and over how many samples of track.
    private(set) var correctedSamples: Int64 = 0
    private var firstPlaced: Int64?
    private(set) var lastPlaced: Int64 = 0
    /// The smoothed offset at the first adjustment (a second in): the start of the session.
    private(set) var startError: Double?
    /// Consecutive buffers that arrived later than the jump threshold allows: a hole is believed
    /// only when it persists, because one late timestamp (a delayed interrupt) is not lost sound.
    private var lateBuffers = 0
    private var outliers = 0
    static let buffersToConfirmHole = 3

    /// 60 ms: well above timestamp jitter (a period or two), well below what a listener hears as
    /// a shift; buffers dropped at a full queue leave holes this size too.
    init(rate: Int, jumpThresholdSeconds: Double = 0.06) {
        self.rate = Int64(rate)
        jumpThreshold = Int64(Double(rate) * jumpThresholdSeconds)
    }

    /// `placedAt`: the sample where this buffer will land; `capturedAt`: where its capture time
    /// says it belongs (both in output samples from timeline zero); `discontinuity`: the device
    /// itself says sound was lost just before.
    mutating func observe(placedAt: Int64, capturedAt: Int64, discontinuity: Bool = false) -> Action {
        let error = placedAt - capturedAt
        if firstPlaced == nil { firstPlaced = placedAt }
        lastPlaced = placedAt
        let late = -error > jumpThreshold
        lateBuffers = late ? lateBuffers + 1 : 0
        if (discontinuity && -error > 0) || lateBuffers >= AudioClockSync.buffersToConfirmHole {
            lateBuffers = 0
            smoothedError = nil
            nextAdjustment = capturedAt + rate
            return .jump(toSample: capturedAt)
        }
        // An outlier (one late or early stamp) says nothing about the clock: keep it out of the
        // average; a shift that persists (timestamps that jumped back) restarts the average.
        let outlier = late || smoothedError.map({ abs(Double(error) - $0) > Double(jumpThreshold) }) == true
        outliers = outlier ? outliers + 1 : 0
        if outlier && outliers < AudioClockSync.buffersToConfirmHole { return .none }
        if outlier { smoothedError = nil; outliers = 0 }
        // An exponential average over about a second of 10-20 ms buffers.
        smoothedError = smoothedError.map { $0 + (Double(error) - $0) * 0.02 } ?? Double(error)
        guard placedAt >= nextAdjustment else { return .none }
        nextAdjustment = placedAt + rate
        // Audio ahead of its capture time (positive error) means too many samples: remove some.
        let limit = Double(rate) * maxCorrection
        if startError == nil { startError = smoothedError }
        let delta = Int(max(-limit, min(limit, (-smoothedError! / correctionSeconds).rounded())))
        correctedSamples += Int64(delta)
        return .compensate(delta: delta, distance: Int(rate))
    }

    /// The device clock's rate error in ppm: what was corrected plus what is still off, over the
    /// track so far (positive: the device is fast).
    var ppm: Double {
        guard let first = firstPlaced, lastPlaced > first else { return 0 }
        return (Double(-correctedSamples) + (smoothedError ?? 0) - (startError ?? 0)) / Double(lastPlaced - first) * 1e6
    }
}
