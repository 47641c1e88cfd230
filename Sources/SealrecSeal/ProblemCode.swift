/// Stable, machine-readable reason of a verification problem (`"code"` in `verify --json`).
/// Listed in MANIFEST.md beside the rule each one enforces; never renamed, only added to, so
/// independent verifiers and conformance runs can compare verdicts by reason.
public enum ProblemCode: String, Sendable, CaseIterable {
    // The manifest file (R2)
    case manifestMissing = "manifest_missing"
    case manifestNotRegular = "manifest_not_regular"
    case manifestTooLarge = "manifest_too_large"
    case manifestUnreadable = "manifest_unreadable"
    case manifestEmpty = "manifest_empty"
    // Lines and entries (R3-R16, R28)
    case lineEmpty = "line_empty"
    case lineTooLong = "line_too_long"
    case lineNotASCII = "line_not_ascii"
    case lineTorn = "line_torn"
    case lineMalformed = "line_malformed"
    case entryInvalid = "entry_invalid"
    // Keys and signatures (R20-R21)
    case keyNotFound = "key_not_found"
    case badSignature = "bad_signature"
    case foreignSignature = "foreign_signature"
    // Chain (R23-R26)
    case seqMismatch = "seq_mismatch"
    case chainBreak = "chain_break"
    case sessionNotFirst = "session_not_first"
    case secondSession = "second_session"
    case noSession = "no_session"
    case entryAfterEnd = "entry_after_end"
    // Segment files and the folder (R27, R29, R30)
    case segmentListedTwice = "segment_listed_twice"
    case segmentMissing = "segment_missing"
    case segmentNotRegular = "segment_not_regular"
    case segmentUnreadable = "segment_unreadable"
    case segmentLengthMismatch = "segment_length_mismatch"
    case segmentHashMismatch = "segment_hash_mismatch"
    case unlistedMedia = "unlisted_media"
    case unprintableName = "unprintable_name"
    case folderUnreadable = "folder_unreadable"
    // Timeline (R31-R34)
    case noSegments = "no_segments"
    case timelineOverlap = "timeline_overlap"
    case timelineGap = "timeline_gap"
    case wallStartMismatch = "wall_start_mismatch"
    // End entry (R35-R38)
    case noEnd = "no_end"
    case endCountMismatch = "end_count_mismatch"
    case endDurationMismatch = "end_duration_mismatch"
    case lastGoodBeyondEnd = "last_good_beyond_end"
    // Playlist (R39)
    case playlistMismatch = "playlist_mismatch"
}

extension ManifestLineError {
    /// The problem code of a line that could not be read.
    public var code: ProblemCode {
        switch self {
        case .line(.tooLong): .lineTooLong
        case .line(.empty): .lineEmpty
        case .line(.invalidUTF8), .line(.nonASCII), .line(.controlByte): .lineNotASCII
        case .line(.noSignatureMember), .line(.malformedSignature), .line(.json), .line(.notAnObject), .chainMembers: .lineMalformed
        case .schema: .entryInvalid
        }
    }
}
