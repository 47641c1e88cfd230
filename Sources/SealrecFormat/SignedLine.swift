import Foundation
import SealrecCrypto

/// Why one manifest line could not be read; the verifier reports it with the line number.
public enum ManifestLineError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLong(bytes: Int)
    case empty
    case invalidUTF8(offset: Int)
    case nonASCII(offset: Int)
    case controlByte(offset: Int)
    case noSignatureMember
    case malformedSignature(String)
    case json(JSONParseError)
    case notAnObject
    case chainMembers(String)
    case schema(type: String, ManifestSchemaError)

    public var description: String {
        switch self {
        case let .tooLong(bytes): "line is \(bytes) bytes, longer than the \(ManifestFormat.maxLineBytes)-byte limit; not read"
        case .empty: "empty line"
        case let .invalidUTF8(offset): "invalid UTF-8 at byte \(offset)"
        case let .nonASCII(offset): "non-ASCII byte at byte \(offset) (the format is ASCII only)"
        case let .controlByte(offset): "control byte at byte \(offset) (the format allows only 0x20-0x7E and the newline)"
        case .noSignatureMember: #"line does not end with a ,"sig":"..."} member"#
        case let .malformedSignature(reason): "signature member \(reason)"
        case let .json(error): "body is not canonical JSON: \(error)"
        case .notAnObject: "body is not a JSON object"
        case let .chainMembers(reason): "body \(reason)"
        case let .schema(type, error): "\(type) entry: \(error)"
        }
    }
}

/// One line split into its signed body and signature, with the body parsed.
public struct ManifestLine: Sendable {
    /// The exact signed bytes (what `sed -E 's/,"sig":"[^"]*"\}$/}/'` prints).
    public let body: [UInt8]
    public let signature: [UInt8]
    public let seq: Int64
    public let prev: Digest
    public let entry: ManifestEntry

    /// SHA-256 of the body: what the next line's `prev` must be.
    public var entryHash: Digest { SHA256Hasher.hash(body) }

    /// The line as written to the file, with its newline. Grants and revocations use the same format.
    public static func encode(body: [UInt8], signature: [UInt8]) -> [UInt8] {
        precondition(body.last == UInt8(ascii: "}"))
        return body.dropLast() + ManifestFormat.signatureMarker + Array(Data(signature).base64EncodedString().utf8) + Array(#""}"#.utf8) + [0x0A]
    }

    /// Splits the signature off; on failure the body may still be known (for chain checks).
    /// Public so grants, revocations and the chain head read signed lines by the same rules.
    public static func split(_ line: ArraySlice<UInt8>) throws(ManifestLineError) -> (body: [UInt8], signature: [UInt8]) {
        guard !line.isEmpty else { throw .empty }
        guard line.count <= ManifestFormat.maxLineBytes else { throw .tooLong(bytes: line.count) }
        if let nonASCII = line.firstIndex(where: { $0 >= 0x80 }) {
            // Only a line that is not ASCII needs decoding, to say which of the two is wrong.
            var decoder = UTF8()
            var iterator = line.makeIterator()
            var offset = 0
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): offset += UTF8.width(scalar)
                case .emptyInput: break decoding
                case .error: throw .invalidUTF8(offset: offset)
                }
            }
            throw .nonASCII(offset: nonASCII - line.startIndex)
        }
        // A control byte (0x7F, or below 0x20) is never written either: refused before any parsing.
        if let control = line.firstIndex(where: { $0 < 0x20 || $0 == 0x7F }) { throw .controlByte(offset: control - line.startIndex) }

        // The marker is looked for only before the closing `"}`: in `x,"sig":"}` its last quote is that
        // closing quote, and the signature text between them would be a negative range.
        guard line.count >= 2, line.suffix(2).elementsEqual(#""}"#.utf8),
              let markerStart = lastIndex(of: ManifestFormat.signatureMarker, in: line.dropLast(2))
        else { throw .noSignatureMember }
        let encoded = line[(markerStart + ManifestFormat.signatureMarker.count)..<(line.endIndex - 2)]
        guard !encoded.contains(UInt8(ascii: "\"")) else { throw .noSignatureMember }
        guard let signature = Data(base64Encoded: Data(encoded)) else { throw .malformedSignature("is not base64") }
        guard signature.count == 64 else { throw .malformedSignature("holds \(signature.count) bytes, not 64") }
        // Lenient decoders ignore a last character's spare bits; only the canonical text is accepted,
        // so each signature has exactly one spelling and the line bytes cannot change unnoticed.
        guard signature.base64EncodedString().utf8.elementsEqual(encoded) else {
            throw .malformedSignature("is not canonical base64")
        }
        return (Array(line[..<markerStart]) + [UInt8(ascii: "}")], Array(signature))
    }

    /// Reads a line fully: splits, parses the body and checks it against the schema.
    /// Signature and chain are checked by the caller, who knows the key and the previous line.
    static func parse(body: [UInt8], signature: [UInt8]) throws(ManifestLineError) -> ManifestLine {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw .json(error) }
        guard let members = value.members else { throw .notAnObject }
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

    private static func lastIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        var candidate = haystack.endIndex - needle.count
        while candidate >= haystack.startIndex {
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            candidate -= 1
        }
        return nil
    }
}

extension ManifestLine {
    /// Splits manifest bytes into lines. `unterminated` is a trailing piece without newline
    /// (a torn write): never a valid entry, because every entry ends with "\n".
    static func lines(of data: [UInt8]) -> (complete: [ArraySlice<UInt8>], unterminated: ArraySlice<UInt8>?) {
        var complete: [ArraySlice<UInt8>] = []
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            complete.append(data[start..<newline])
            start = newline + 1
        }
        return (complete, start < data.endIndex ? data[start...] : nil)
    }
}
