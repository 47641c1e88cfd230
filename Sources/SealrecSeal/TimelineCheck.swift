import SealrecFormat
/// Segments must tile the timeline: each starts where the previous ended (the first at 0),
/// within one frame, unless a declared gap covers the hole. Overlaps are never allowed.
struct TimelineCheck {
    struct Listed {
        let record: SegmentRecord
        let line: Int
        let seq: Int64
    }

    let toleranceMicros: Int64
    /// `utc_anchor` in microseconds: each `wall_start` is exactly this plus `start_us`.
    let anchorMicros: Int64
    /// Declared gaps sorted by start, and the furthest end among each prefix: a hole is looked up
    /// in O(log n), so a manifest of many gaps and many holes costs no quadratic time.
    private let gapStarts: [Int64]
    private let furthestEnds: [Int64]

    init(toleranceMicros: Int64, gaps: [DeclaredGap], anchorMicros: Int64) {
        self.toleranceMicros = toleranceMicros
        self.anchorMicros = anchorMicros
        let sorted = gaps.sorted { $0.startMicros < $1.startMicros }
        gapStarts = sorted.map(\.startMicros)
        var furthest = Int64.min
        furthestEnds = sorted.map { gap in
            furthest = max(furthest, gap.endMicros)
            return furthest
        }
    }

    func check(_ segments: [Listed], into report: inout VerificationReport) {
        var expectedStart: Int64 = 0
        for segment in segments {
            let start = segment.record.startMicros
            let delta = start.saturatingSubtract(expectedStart)
            func problem(_ code: ProblemCode, _ message: @autoclosure () -> String) {
                report.add(VerificationProblem(code, line: segment.line, seq: segment.seq, file: segment.record.fileName, message()))
            }
            if delta < -toleranceMicros {
                problem(.timelineOverlap, "starts at \(start) µs, overlapping the previous segment, which ends at \(expectedStart) µs")
            } else if delta > toleranceMicros && !isCovered(from: expectedStart, to: start) {
                problem(.timelineGap, "starts at \(start) µs but the previous segment ends at \(expectedStart) µs: "
                    + "undeclared gap of \(delta) µs (tolerance \(toleranceMicros) µs)")
            }
            // The writer derives wall_start from the anchor, so any difference is an edit.
            let wallStart = RFC3339.microseconds(of: segment.record.wallClockStart)
            let derived = anchorMicros.saturatingAdd(start)
            if wallStart != derived {
                problem(.wallStartMismatch, "wall_start is \(RFC3339.format(microseconds: wallStart)), but utc_anchor + start_us is "
                    + "\(RFC3339.format(microseconds: derived)) (off by \(wallStart.saturatingSubtract(derived)) µs)")
            }
            expectedStart = start.saturatingAdd(segment.record.durationMicros)
        }
    }

    /// True when one declared gap spans [from, to], allowing one frame at each edge: of the gaps
    /// starting early enough, the one reaching furthest decides.
    private func isCovered(from: Int64, to: Int64) -> Bool {
        let latestStart = from.saturatingAdd(toleranceMicros)
        var low = 0, high = gapStarts.count  // count of gaps with start <= latestStart
        while low < high {
            let middle = (low + high) / 2
            if gapStarts[middle] <= latestStart { low = middle + 1 } else { high = middle }
        }
        return low > 0 && furthestEnds[low - 1] >= to.saturatingSubtract(toleranceMicros)
    }
}
