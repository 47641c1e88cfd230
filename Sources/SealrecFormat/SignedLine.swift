import Foundation

/// Why a signed line (a manifest entry, a grant, a revocation) could not be read.
public enum SignedLineError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLong(bytes: Int)
    case empty
    case invalidUTF8(offset: Int)
    case nonASCII(offset: Int)
    case controlByte(offset: Int)
    case noSignatureMember
    case malformedSignature(String)
    case json(JSONParseError)
    case notAnObject

    public var description: String {
        switch self {
        case let .tooLong(bytes): "line is \(bytes) bytes, longer than the \(SignedLine.maxLineBytes)-byte limit; not read"
        case .empty: "empty line"
        case let .invalidUTF8(offset): "invalid UTF-8 at byte \(offset)"
        case let .nonASCII(offset): "non-ASCII byte at byte \(offset) (the format is ASCII only)"
        case let .controlByte(offset): "control byte at byte \(offset) (the format allows only 0x20-0x7E and the newline)"
        case .noSignatureMember: #"line does not end with a ,"sig":"..."} member"#
        case let .malformedSignature(reason): "signature member \(reason)"
        case let .json(error): "body is not canonical JSON: \(error)"
        case .notAnObject: "body is not a JSON object"
        }
    }
}

/// One signed line: a canonical JSON object whose last member is `"sig"`, the base64 Ed25519
/// signature over the line without that member. Manifests, grants and revocations all use it, so
/// every reader splits and parses them by the same strict rules (MANIFEST.md R7-R11).
public struct SignedLine: Sendable {
    /// Longer lines are rejected unread: a real entry is a few hundred bytes.
    public static let maxLineBytes = 1 << 20
    /// What separates the signed body from the signature in a line.
    static let signatureMarker = Array(#","sig":""#.utf8)

    /// The exact signed bytes (what `sed -E 's/,"sig":"[^"]*"\}$/}/'` prints).
    public let body: [UInt8]
    public let signature: [UInt8]
    /// The body's members in their order (duplicate names were refused).
    public let members: [JSONMember]

    /// Splits and parses a line (without its newline). The signature is not checked: the caller
    /// knows which keys to trust.
    public init(_ line: ArraySlice<UInt8>) throws(SignedLineError) {
        (body, signature) = try Self.split(line)
        members = try Self.members(of: body)
    }

    /// The body's value for `name`, if it has that member.
    public subscript(name: String) -> JSONValue? { members.first { $0.name == name }?.value }

    /// Parses a signed body strictly; it must be an object.
    public static func members(of body: [UInt8]) throws(SignedLineError) -> [JSONMember] {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw .json(error) }
        guard let members = value.members else { throw .notAnObject }
        return members
    }

    /// The line as written to a file, with its newline.
    public static func encode(body: [UInt8], signature: [UInt8]) -> [UInt8] {
        precondition(body.last == UInt8(ascii: "}"))
        return body.dropLast() + signatureMarker + Array(Data(signature).base64EncodedString().utf8) + Array(#""}"#.utf8) + [0x0A]
    }

    /// Splits the signature off, checking the line's bytes and the signature's spelling; the body
    /// is returned unparsed, so a caller can still hash it when its JSON is wrong (for chain checks).
    public static func split(_ line: ArraySlice<UInt8>) throws(SignedLineError) -> (body: [UInt8], signature: [UInt8]) {
        guard !line.isEmpty else { throw .empty }
        guard line.count <= maxLineBytes else { throw .tooLong(bytes: line.count) }
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
              let markerStart = lastIndex(of: signatureMarker, in: line.dropLast(2))
        else { throw .noSignatureMember }
        let encoded = line[(markerStart + signatureMarker.count)..<(line.endIndex - 2)]
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

    /// Splits file bytes into lines. `unterminated` is a trailing piece without newline
    /// (a torn write): never a valid line, because every signed line ends with "\n".
    public static func lines(of data: [UInt8]) -> (complete: [ArraySlice<UInt8>], unterminated: ArraySlice<UInt8>?) {
        var complete: [ArraySlice<UInt8>] = []
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            complete.append(data[start..<newline])
            start = newline + 1
        }
        return (complete, start < data.endIndex ? data[start...] : nil)
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
