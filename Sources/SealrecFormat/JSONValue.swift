/// The JSON this module reads and writes. Objects keep their member order (the manifest's
/// member order is part of its format), and numbers keep their literal text so nothing is
/// ever rounded through a Double.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    /// A JSON number literal exactly as written, e.g. "25" or "29.97".
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    public static func int(_ value: Int64) -> JSONValue { .number(String(value)) }
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// The integer value of a number without fraction or exponent that fits in Int64, spelt as
    /// the writer spells it: never `-0` (the grammar already refuses `+1` and leading zeros).
    public var int64: Int64? {
        guard case .number(let text) = self, text != "-0" else { return nil }
        return Int64(text)
    }

    public var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    public var members: [JSONMember]? {
        guard case .object(let members) = self else { return nil }
        return members
    }

    /// A short name of the value's kind, for error messages ("expected string, found number").
    public var kindName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        case .array: "array"
        case .object: "object"
        }
    }
}

public struct JSONMember: Sendable, Equatable {
    public let name: String
    public let value: JSONValue

    public init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }
}
