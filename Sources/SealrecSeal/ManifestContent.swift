/// The readable entries of the manifest, grouped by what the later checks need.
struct ManifestContent {
    var segments: [TimelineCheck.Listed] = []
    var gaps: [DeclaredGap] = []
    var end: (record: EndRecord, line: Int, seq: Int64)?
    var timelineEndMicros: Int64 = 0

    mutating func add(_ parsed: ManifestLine, line: Int) {
        switch parsed.entry {
        case .segment(let record):
            segments.append(TimelineCheck.Listed(record: record, line: line, seq: parsed.seq))
            timelineEndMicros = record.startMicros.saturatingAdd(record.durationMicros)
        case .event(let record):
            if let gap = record.gap { gaps.append(gap) }
        case .end(let record):
            if end == nil { end = (record, line, parsed.seq) }
        case .session:
            break
        }
    }
}
