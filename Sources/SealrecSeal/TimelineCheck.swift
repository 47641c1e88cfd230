/// Segments must tile the timeline: each starts where the previous ended (the first at 0),
/// within one frame, unless a declared gap covers the hole. Overlaps are never allowed.
struct TimelineCheck {
    struct Listed {
        let record: SegmentRecord
        let line: Int
        let seq: Int64
    }

    let toleranceMicros: Int64
    let gaps: [DeclaredGap]

    func problems(_ segments: [Listed]) -> [VerificationProblem] {
        var problems: [VerificationProblem] = []
        var expectedStart: Int64 = 0
        for segment in segments {
            let start = segment.record.startMicros
            let delta = start.saturatingSubtract(expectedStart)
            func problem(_ message: String) {
                problems.append(VerificationProblem(line: segment.line, seq: segment.seq, file: segment.record.fileName, message))
            }
            if delta < -toleranceMicros {
                problem("starts at \(start) µs, overlapping the previous segment, which ends at \(expectedStart) µs")
            } else if delta > toleranceMicros && !isCovered(from: expectedStart, to: start) {
                problem("starts at \(start) µs but the previous segment ends at \(expectedStart) µs: "
                    + "undeclared gap of \(delta) µs (tolerance \(toleranceMicros) µs)")
            }
            expectedStart = start.saturatingAdd(segment.record.durationMicros)
        }
        return problems
    }

    /// True when one declared gap spans [from, to], allowing one frame at each edge.
    private func isCovered(from: Int64, to: Int64) -> Bool {
        gaps.contains { gap in
            gap.startMicros <= from.saturatingAdd(toleranceMicros)
                && gap.startMicros.saturatingAdd(gap.durationMicros) >= to.saturatingSubtract(toleranceMicros)
        }
    }
}
