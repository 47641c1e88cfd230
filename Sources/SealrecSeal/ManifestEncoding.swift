import SealrecCrypto
import SealrecFormat

/// Entry -> body members, in the fixed order documented in MANIFEST.md. The verifier checks
/// this same order (ManifestDecoding), which is what lets reviewers use anchored regexes.
extension ManifestEntry {
    var contentMembers: [JSONMember] {
        switch self {
        case let .session(header, fingerprint): header.members(keyFingerprint: fingerprint)
        case let .segment(record): record.members
        case let .event(record): record.members
        case let .end(record): record.members
        }
    }

    /// The signed body: `{"seq":N,"type":"T","prev":"HEX",...}`.
    func body(seq: Int64, prev: Digest) -> [UInt8] {
        let chain = [JSONMember("seq", .int(seq)), JSONMember("type", .string(typeName)), JSONMember("prev", .string(prev.hex))]
        return JSONValue.object(chain + contentMembers).asciiBytes
    }
}

extension SessionHeader {
    func members(keyFingerprint: String) -> [JSONMember] {
        var members = [JSONMember("session_id", .string(sessionID)), JSONMember("room_id", .string(roomID))]
        if let caseNumber { members.append(JSONMember("case_number", .string(caseNumber))) }
        if let participants { members.append(JSONMember("participants", .array(participants.map { .string($0) }))) }
        let deviceList = devices.map { JSONValue.object([JSONMember("kind", .string($0.kind)), JSONMember("name", .string($0.name))]) }
        return members + [
            JSONMember("devices", .array(deviceList)),
            JSONMember("encoder", .object(encoder)),
            JSONMember("software", .string(software)),
            JSONMember("key_fingerprint", .string(keyFingerprint)),
            JSONMember("utc_anchor", .string(RFC3339.format(utcAnchor))),
            JSONMember("ntp_synchronized", .bool(ntpSynchronized)),
            JSONMember("segment_duration_us", .int(segmentDurationMicros)),
            JSONMember("frame_duration_us", .int(frameDurationMicros)),
        ]
    }
}

extension SegmentRecord {
    var members: [JSONMember] {
        [
            JSONMember("file", .string(fileName)),
            JSONMember("bytes", .int(byteLength)),
            JSONMember("sha256", .string(sha256.hex)),
            JSONMember("start_us", .int(startMicros)),
            JSONMember("duration_us", .int(durationMicros)),
            JSONMember("wall_start", .string(RFC3339.format(wallClockStart))),
        ]
    }
}

extension EventRecord {
    var members: [JSONMember] {
        var members = [
            JSONMember("kind", .string(kind.rawValue)),
            JSONMember("at_us", .int(atMicros)),
            JSONMember("source", .string(source)),
            JSONMember("details", .string(details)),
        ]
        if let gap {
            members.append(JSONMember("gap_start_us", .int(gap.startMicros)))
            members.append(JSONMember("gap_duration_us", .int(gap.durationMicros)))
        }
        return members
    }
}

extension EndRecord {
    var members: [JSONMember] {
        [
            JSONMember("reason", .string(reason.rawValue)),
            JSONMember("last_good_us", .int(lastGoodMicros)),
            JSONMember("duration_us", .int(durationMicros)),
            JSONMember("segments", .int(segmentCount)),
        ]
    }
}
