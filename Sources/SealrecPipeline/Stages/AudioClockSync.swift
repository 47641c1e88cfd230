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
    /// Samples added (positive) or removed so far, counting the compensation still in flight.
    var correctedSamples: Int64 { completedCorrection + inFlight.delta }
    private var firstPlaced: Int64?
    private(set) var lastPlaced: Int64 = 0
    /// The smoothed offset at the first adjustment (a second in): the start of the session.
    private(set) var startError: Double?
    /// Consecutive buffers that arrived later than the jump threshold allows: a hole is believed
    /// only when it persists, because one late timestamp (a delayed interrupt) is not lost sound.
    private var lateBuffers = 0
    private var outliers = 0
    /// Buffers averaged since the average (re)started: the first ones get a plain mean, so the
    /// first buffer of a loaded start does not dominate the average for seconds.
    private var averaged = 0
    /// The compensation in flight (libswresample spreads it over `distance` samples) and what the
    /// ones before it added: what the device's own sample count is, seen from the track.
    private var inFlight = (delta: Int64(0), from: Int64(0), distance: Int64(1))
    private var completedCorrection: Int64 = 0
    private var fit = DriftFit()
    static let buffersToConfirmHole = 3
    /// The rate is fitted from this far into each continuous run: the start's queues and caches
    /// settle first (a loaded machine's first seconds carry offsets that are not the crystal's).
    static let settleSeconds: Int64 = 5

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
        if firstPlaced == nil {
            firstPlaced = placedAt
            restart(at: capturedAt)
        }
        lastPlaced = placedAt
        let late = -error > jumpThreshold
        lateBuffers = late ? lateBuffers + 1 : 0
        if (discontinuity && -error > 0) || lateBuffers >= AudioClockSync.buffersToConfirmHole {
            lateBuffers = 0
            restart(at: capturedAt)
            nextAdjustment = capturedAt + rate
            return .jump(toSample: capturedAt)
        }
        // An outlier (one late or early stamp) says nothing about the clock: keep it out of the
        // average; a shift that persists (timestamps that jumped back) restarts the average.
        let outlier = late || smoothedError.map({ abs(Double(error) - $0) > Double(jumpThreshold) }) == true
        outliers = outlier ? outliers + 1 : 0
        if outlier && outliers < AudioClockSync.buffersToConfirmHole { return .none }
        if outlier { outliers = 0; restart(at: capturedAt) }
        // A mean over the first 50 buffers, then an exponential average over about a second of
        // 10-20 ms buffers.
        averaged += 1
        let weight = max(0.02, 1 / Double(averaged))
        smoothedError = smoothedError.map { $0 + (Double(error) - $0) * weight } ?? Double(error)
        fit.add(capturedAt: capturedAt, deviceOffset: Double(error) - applied(at: placedAt), rate: rate)
        guard placedAt >= nextAdjustment else { return .none }
        nextAdjustment = placedAt + rate
        // Audio ahead of its capture time (positive error) means too many samples: remove some.
        let limit = Double(rate) * maxCorrection
        if startError == nil { startError = smoothedError }
        let delta = Int(max(-limit, min(limit, (-smoothedError! / correctionSeconds).rounded())))
        completedCorrection += inFlight.delta
        inFlight = (Int64(delta), placedAt, rate)
        return .compensate(delta: delta, distance: Int(rate))
    }

    /// A new continuous run from `capturedAt` (start, hole, timestamp shift): the average starts
    /// over and the rate fit takes a new intercept once the run has settled.
    private mutating func restart(at capturedAt: Int64) {
        smoothedError = nil
        averaged = 0
        fit.newRun(settledFrom: capturedAt + AudioClockSync.settleSeconds * rate)
    }

    /// Samples the compensations had added (removed, negative) by the time the track reached `sample`.
    private func applied(at sample: Int64) -> Double {
        let done = min(1, max(0, Double(sample - inFlight.from) / Double(inFlight.distance)))
        return Double(completedCorrection) + Double(inFlight.delta) * done
    }

    /// The device clock's rate error in ppm (positive: the device is fast): the least-squares slope
    /// of the device's own sample count against capture time, once settled; for a session too
    /// short for that, what was corrected plus what is still off, over the track so far.
    var ppm: Double {
        if let slope = fit.slope { return slope * 1e6 }
        guard let first = firstPlaced, lastPlaced > first else { return 0 }
        return (Double(-correctedSamples) + (smoothedError ?? 0) - (startError ?? 0)) / Double(lastPlaced - first) * 1e6
    }
}

/// A straight line through (capture time, device offset) points, fitted per continuous run (a hole
/// or a timestamp shift starts a new run with its own intercept) and pooled: the shared slope is
/// the device clock's rate error.
struct DriftFit {
    private var settledFrom: Int64?
    private var origin: Int64 = 0
    private var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
    /// Centred sums of the runs already closed.
    private var pooledXX = 0.0, pooledXY = 0.0
    /// Seconds of capture time fitted, over all runs.
    private(set) var span = 0.0
    private var runFirst: Double?, runLast = 0.0
    /// Below this much fitted time the slope is noise (2 ms jitter over 2 s is 1000 ppm).
    static let minimumSpan = 5.0

    mutating func newRun(settledFrom sample: Int64) {
        closeRun()
        settledFrom = sample
        origin = sample
    }

    /// `deviceOffset`: samples, the device's own count minus where its capture time puts it.
    mutating func add(capturedAt: Int64, deviceOffset: Double, rate: Int64) {
        guard let from = settledFrom, capturedAt >= from else { return }
        let x = Double(capturedAt - origin) / Double(rate)
        let y = deviceOffset / Double(rate)
        n += 1; sx += x; sy += y; sxx += x * x; sxy += x * y
        if runFirst == nil { runFirst = x }
        runLast = x
    }

    /// Seconds of device offset per second of capture time, or nil while too little is fitted.
    var slope: Double? {
        var s = self
        s.closeRun()
        return s.span >= DriftFit.minimumSpan && s.pooledXX > 0 ? s.pooledXY / s.pooledXX : nil
    }

    private mutating func closeRun() {
        if n >= 2 {
            pooledXX += sxx - sx * sx / n
            pooledXY += sxy - sx * sy / n
            span += runLast - (runFirst ?? runLast)
        }
        n = 0; sx = 0; sy = 0; sxx = 0; sxy = 0; runFirst = nil; runLast = 0
    }
}
