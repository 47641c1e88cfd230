/// Why a signed body is not acceptable JSON; `offset` is the 0-based byte offset in the body.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict parser for signed bodies (manifest entries, grants, revocations): the canonical compact
/// form only. No whitespace between tokens, no duplicate member names (a second "seq" or "session_id"
/// could mean different things to different tools), bounded nesting, printable ASCII only.
public struct JSONParser {
    public static let maxDepth = 16

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        let value = try parser.value(depth: 0)
        guard parser.index == bytes.count else { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    private func failure(_ message: String) -> JSONParseError { JSONParseError(offset: index, message: message) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        guard current == byte else {
            throw failure("expected '\(Character(Unicode.Scalar(byte)))'" + (current == nil ? " but the body ended" : ""))
        }
        index += 1
    }

    private mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth)") }
        guard let byte = current else { throw failure("expected a value but the body ended") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func literal(_ word: String) throws(JSONParseError) {
        for byte in word.utf8 { try expect(byte) }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        try expect(UInt8(ascii: "{"))
        var members: [JSONMember] = []
        var names = Set<String>()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            let nameOffset = index
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let name = try string()
            guard names.insert(name).inserted else {
                throw JSONParseError(offset: nameOffset, message: "duplicate member \"\(name)\"")
            }
            try expect(UInt8(ascii: ":"))
            members.append(JSONMember(name, try value(depth: depth + 1)))
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        try expect(UInt8(ascii: "["))
        var items: [JSONValue] = []
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try value(depth: depth + 1))
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"))
            return .array(items)
        }
    }

    private mutating func number() throws(JSONParseError) -> String {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            guard try digits() > 0 else { throw failure("malformed number") }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard try digits() > 0 else { throw failure("malformed number: no digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw failure("malformed number: no exponent digits") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func digits() throws(JSONParseError) -> Int {
        let start = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    private mutating func string() throws(JSONParseError) -> String {
        try expect(UInt8(ascii: "\""))
        var units: [UInt16] = []
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try decodeUTF16(units)
            case UInt8(ascii: "\\"):
                units.append(try escape())
            case 0..<0x20, 0x7F...:
                index -= 1
                throw failure("raw control or non-ASCII byte 0x\(String(byte, radix: 16)) in string")
            default:
                units.append(UInt16(byte))
            }
        }
    }

    /// Only the escapes the writer (JSONEncoding) produces: `\"`, `\\`, and `\u` with four lowercase
    /// hex digits for a UTF-16 unit outside 0x20-0x7E. `\n`, `\/`, `\u0041`, `\u00E9` are refused, so
    /// every string has exactly one spelling and the signed bytes cannot be re-spelt unnoticed.
    private mutating func escape() throws(JSONParseError) -> UInt16 {
        guard let byte = current else { throw failure("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return 0x22
        case UInt8(ascii: "\\"): return 0x5C
        case UInt8(ascii: "u"):
            guard index + 4 <= bytes.count,
                  bytes[index..<index + 4].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                  let unit = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw failure("malformed \\u escape (four lowercase hex digits)") }
            guard !(0x20...0x7E).contains(unit) else {
                throw failure("non-canonical escape of a printable character (written as itself, or as \\\" / \\\\)")
            }
            index += 4
            return unit
        default:
            index -= 1
            throw failure("invalid escape '\\\(Character(Unicode.Scalar(byte)))' (only \\\", \\\\ and \\uXXXX are written)")
        }
    }

    /// Rejects lone surrogates instead of silently replacing them with U+FFFD.
    private func decodeUTF16(_ units: [UInt16]) throws(JSONParseError) -> String {
        var scalars = String.UnicodeScalarView()
        var iterator = units.makeIterator()
        var decoder = UTF16()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: throw failure("string contains an unpaired UTF-16 surrogate escape")
            }
        }
    }
}
