/// The readable entries of the manifest, grouped by what the later checks need.
struct ManifestContent {
    var segments: [TimelineCheck.Listed] = []
    var gaps: [DeclaredGap] = []
    var end: (record: EndRecord, line: Int, seq: Int64)?
    var timelineEndMicros: Int64 = 0

    init(_ lines: [ReadLine]) {
        for line in lines {
            guard let parsed = line.parsed else { continue }
            switch parsed.entry {
            case .segment(let record):
                segments.append(TimelineCheck.Listed(record: record, line: line.number, seq: parsed.seq))
                timelineEndMicros = record.startMicros.saturatingAdd(record.durationMicros)
            case .event(let record):
                if let gap = record.gap { gaps.append(gap) }
            case .end(let record):
                if end == nil { end = (record, line.number, parsed.seq) }
            case .session:
                break
            }
        }
    }
}
