import SealrecCrypto
import SealrecFormat

/// Why one manifest line could not be read; the verifier reports it with the line number.
public enum ManifestLineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a readable signed line at all (bytes, signature member, JSON).
    case line(SignedLineError)
    case chainMembers(String)
    case schema(type: String, ManifestSchemaError)

    public var description: String {
        switch self {
        case let .line(error): error.description
        case let .chainMembers(reason): "body \(reason)"
        case let .schema(type, error): "\(type) entry: \(error)"
        }
    }
}

/// One manifest line split into its signed body and signature, with the body read as an entry.
public struct ManifestLine: Sendable {
    public let body: [UInt8]
    public let signature: [UInt8]
    public let seq: Int64
    public let prev: Digest
    public let entry: ManifestEntry

    /// SHA-256 of the body: what the next line's `prev` must be.
    public var entryHash: Digest { SHA256Hasher.hash(body) }

    /// Reads a line's body fully: parses it and checks it against the schema.
    /// Signature and chain are checked by the caller, who knows the key and the previous line.
    static func parse(body: [UInt8], signature: [UInt8]) throws(ManifestLineError) -> ManifestLine {
        let members: [JSONMember]
        do { members = try SignedLine.members(of: body) } catch { throw .line(error) }
        guard members.count >= 3, members[0].name == "seq", members[1].name == "type", members[2].name == "prev" else {
            throw .chainMembers(#"must start with "seq", "type", "prev" in that order"#)
        }
        guard let seq = members[0].value.int64, seq >= 0 else { throw .chainMembers(#""seq" must be a non-negative integer"#) }
        guard let type = members[1].value.stringValue else { throw .chainMembers(#""type" must be a string"#) }
        guard let prevText = members[2].value.stringValue, prevText.utf8.count == 64, let prev = Digest(hex: prevText) else {
            throw .chainMembers(#""prev" must be 64 lowercase hex digits"#)
        }
        do {
            return ManifestLine(body: body, signature: signature, seq: seq, prev: prev,
                                entry: try ManifestEntry.decode(type: type, members: Array(members.dropFirst(3))))
        } catch { throw .schema(type: type, error) }
    }

    /// Splits a line, as `SignedLine.split`, with the manifest's error type.
    static func split(_ line: ArraySlice<UInt8>) throws(ManifestLineError) -> (body: [UInt8], signature: [UInt8]) {
        do { return try SignedLine.split(line) } catch { throw .line(error) }
    }
}
