import Foundation
import SealrecCrypto
import SealrecFormat

/// Why a body does not match the schema for its type; names the member when there is one.
public struct ManifestSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let member: String?
    public let message: String

    init(_ member: String?, _ message: String) {
        self.member = member
        self.message = message
    }

    public var description: String { member.map { "member \"\($0)\" \(message)" } ?? message }
}

/// Body members -> entry, strictly: every member has its type, no unknown members, and the
/// members stand in the documented order (the same order ManifestEncoding writes).
extension ManifestEntry {
    static let memberOrder: [String: [String]] = [
        "session": ["session_id", "room_id", "case_number", "participants", "devices", "encoder", "software",
                    "key_fingerprint", "utc_anchor", "ntp_synchronized", "segment_duration_us", "frame_duration_us"],
        "segment": ["file", "bytes", "sha256", "start_us", "duration_us", "wall_start"],
        "event": ["kind", "at_us", "source", "details", "gap_start_us", "gap_duration_us"],
        "end": ["reason", "last_good_us", "duration_us", "segments"],
    ]

    static func decode(type: String, members: [JSONMember]) throws(ManifestSchemaError) -> ManifestEntry {
        guard let order = memberOrder[type] else { throw ManifestSchemaError("type", "has unknown value \"\(type)\"") }
        let reader = MemberReader(members: members)
        try reader.checkOrder(order)
        switch type {
        case "session": return try decodeSession(reader)
        case "segment": return .segment(try decodeSegment(reader))
        case "event": return .event(try decodeEvent(reader))
        default: return .end(try decodeEnd(reader))
        }
    }

    private static func decodeSession(_ reader: MemberReader) throws(ManifestSchemaError) -> ManifestEntry {
        var participants: [String]?
        if reader.has("participants") {
            participants = []
            for item in try reader.array("participants") {
                guard let name = item.stringValue else { throw ManifestSchemaError("participants", "must hold only strings") }
                participants?.append(name)
            }
        }
        var devices: [Device] = []
        for item in try reader.array("devices") {
            guard let fields = item.members else { throw ManifestSchemaError("devices", "must hold only objects") }
            let device = MemberReader(members: fields)
            do {
                try device.checkOrder(["kind", "name"])
                devices.append(Device(kind: try device.string("kind"), name: try device.string("name")))
            } catch { throw ManifestSchemaError("devices", "has an entry whose \(error)") }
        }
        guard case .object(let encoder)? = reader.value("encoder") else {
            throw ManifestSchemaError("encoder", reader.has("encoder") ? "must be an object" : "is missing")
        }
        let header = SessionHeader(
            sessionID: try reader.string("session_id"), roomID: try reader.string("room_id"),
            caseNumber: reader.has("case_number") ? try reader.string("case_number") : nil, participants: participants,
            devices: devices, encoder: encoder, software: try reader.string("software"),
            utcAnchor: try reader.timestamp("utc_anchor"), ntpSynchronized: try reader.bool("ntp_synchronized"),
            segmentDurationMicros: try reader.int("segment_duration_us", minimum: 1),
            frameDurationMicros: try reader.int("frame_duration_us", minimum: 1))
        return .session(header, keyFingerprint: try reader.sha256("key_fingerprint").hex)
    }

    private static func decodeSegment(_ reader: MemberReader) throws(ManifestSchemaError) -> SegmentRecord {
        let file = try reader.string("file")
        if let problem = SegmentFileName.problem(with: file) { throw ManifestSchemaError("file", problem) }
        return SegmentRecord(fileName: file, byteLength: try reader.int("bytes"), sha256: try reader.sha256("sha256"),
                             startMicros: try reader.int("start_us"), durationMicros: try reader.int("duration_us", minimum: 1),
                             wallClockStart: try reader.timestamp("wall_start"))
    }

    private static func decodeEvent(_ reader: MemberReader) throws(ManifestSchemaError) -> EventRecord {
        let kindText = try reader.string("kind")
        guard let kind = EventKind(rawValue: kindText) else {
            throw ManifestSchemaError("kind", "has unknown value \"\(kindText)\"")
        }
        var gap: DeclaredGap?
        switch (reader.has("gap_start_us"), reader.has("gap_duration_us")) {
        case (true, true):
            gap = DeclaredGap(startMicros: try reader.int("gap_start_us"), durationMicros: try reader.int("gap_duration_us", minimum: 1))
        case (false, false): gap = nil
        default: throw ManifestSchemaError(nil, "gap_start_us and gap_duration_us must come together")
        }
        return EventRecord(kind: kind, atMicros: try reader.int("at_us"), source: try reader.string("source"),
                           details: try reader.string("details"), gap: gap)
    }

    private static func decodeEnd(_ reader: MemberReader) throws(ManifestSchemaError) -> EndRecord {
        let reasonText = try reader.string("reason")
        guard let reason = EndReason(rawValue: reasonText) else {
            throw ManifestSchemaError("reason", "has unknown value \"\(reasonText)\"")
        }
        return EndRecord(reason: reason, lastGoodMicros: try reader.int("last_good_us"),
                         durationMicros: try reader.int("duration_us"), segmentCount: try reader.int("segments"))
    }
}

/// Typed access to an object's members, each failure naming the member and what was wrong.
struct MemberReader {
    let members: [JSONMember]

    func value(_ name: String) -> JSONValue? { members.first { $0.name == name }?.value }
    func has(_ name: String) -> Bool { value(name) != nil }

    private func required(_ name: String) throws(ManifestSchemaError) -> JSONValue {
        guard let value = value(name) else { throw ManifestSchemaError(name, "is missing") }
        return value
    }

    private func mismatch(_ name: String, _ expected: String, _ found: JSONValue) -> ManifestSchemaError {
        ManifestSchemaError(name, "must be \(expected), found \(found.kindName)")
    }

    /// Known members only, in `order` (optional ones may be absent).
    func checkOrder(_ order: [String]) throws(ManifestSchemaError) {
        let names = members.map(\.name)
        if let unknown = names.first(where: { !order.contains($0) }) { throw ManifestSchemaError(unknown, "is not part of this entry type") }
        guard names == order.filter(names.contains) else {
            throw ManifestSchemaError(nil, "members are not in the documented order (\(order.joined(separator: ",")))")
        }
    }

    func string(_ name: String) throws(ManifestSchemaError) -> String {
        let value = try required(name)
        guard let text = value.stringValue else { throw mismatch(name, "a string", value) }
        return text
    }

    func int(_ name: String, minimum: Int64 = 0) throws(ManifestSchemaError) -> Int64 {
        let value = try required(name)
        guard case .number = value else { throw mismatch(name, "an integer", value) }
        guard let number = value.int64 else { throw ManifestSchemaError(name, "must be an integer that fits in 64 bits") }
        guard number >= minimum else { throw ManifestSchemaError(name, "must be at least \(minimum), found \(number)") }
        return number
    }

    func bool(_ name: String) throws(ManifestSchemaError) -> Bool {
        let value = try required(name)
        guard case .bool(let flag) = value else { throw mismatch(name, "true or false", value) }
        return flag
    }

    func array(_ name: String) throws(ManifestSchemaError) -> [JSONValue] {
        let value = try required(name)
        guard case .array(let items) = value else { throw mismatch(name, "an array", value) }
        return items
    }

    func sha256(_ name: String) throws(ManifestSchemaError) -> Digest {
        let text = try string(name)
        guard text.utf8.count == 64, let digest = Digest(hex: text) else {
            throw ManifestSchemaError(name, "must be 64 lowercase hex digits")
        }
        return digest
    }

    func timestamp(_ name: String) throws(ManifestSchemaError) -> Date {
        let text = try string(name)
        guard let micros = RFC3339.parseMicroseconds(text) else {
            throw ManifestSchemaError(name, "must be a UTC time like 2026-01-31T09:30:00.000000Z, found \"\(text)\"")
        }
        return RFC3339.date(microseconds: micros)
    }
}
