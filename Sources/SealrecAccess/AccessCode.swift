import Foundation
import SealrecCrypto

/// The typed access code: 65 random bits as 13 Crockford base-32 symbols plus Crockford's mod-37
/// check symbol, shown in groups of four: `7GQ4-XM2C-9TDA-HB` + check. Crockford's alphabet has no
/// I, L, O or U, and reading accepts i/l as 1 and o as 0, so what is hard to tell apart on paper
/// reads the same. The check symbol catches any single wrong symbol and any swap of two adjacent
/// symbols (37 is prime and larger than the alphabet, so neither change keeps the value mod 37).
public struct AccessCode: Hashable, Sendable, CustomStringConvertible {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let checkAlphabet = alphabet + Array("*~$=U")
    public static let dataSymbols = 13

    /// The 13 data symbols (values 0...31).
    public let symbols: [UInt8]

    public static func random() throws -> AccessCode {
        // 65 bits: 9 random bytes, 13 groups of 5 bits from the first 65.
        let bytes = try SecureRandom.bytes(9)
        var bits: [UInt8] = bytes.flatMap { b in (0..<8).map { (b >> (7 - $0)) & 1 } }
        bits = Array(bits.prefix(65))
        let symbols = (0..<dataSymbols).map { i in bits[(i * 5)..<(i * 5 + 5)].reduce(UInt8(0)) { $0 << 1 | $1 } }
        return AccessCode(symbols: symbols)
    }

    init(symbols: [UInt8]) { self.symbols = symbols }

    static func checkValue(_ symbols: [UInt8]) -> Int {
        symbols.reduce(0) { ($0 * 32 + Int($1)) % 37 }
    }

    public var checkSymbol: Character { AccessCode.checkAlphabet[AccessCode.checkValue(symbols)] }

    /// Canonical form: 14 symbols, no separators (what is derived and stored).
    public var canonical: String { String(symbols.map { AccessCode.alphabet[Int($0)] }) + String(checkSymbol) }

    /// As printed and typed: groups of four.
    public var description: String {
        let c = Array(canonical)
        return stride(from: 0, to: c.count, by: 4).map { String(c[$0..<min($0 + 4, c.count)]) }.joined(separator: "-")
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case length(Int)
        case symbol(Character, position: Int)
        case checkFailed
        public var description: String {
            switch self {
            case .length(let n): return "an access code has \(AccessCode.dataSymbols + 1) symbols, this has \(n)"
            case let .symbol(c, p): return "'\(c)' (symbol \(p)) is not used in access codes"
            case .checkFailed: return "mistyped code: its check symbol does not match (look for a wrong or swapped symbol)"
            }
        }
    }

    /// Reads a typed code: case, spaces and hyphens do not matter; i/l read as 1, o as 0. Fails on
    /// a mistyped code before anything is looked up.
    public static func parse(_ text: String) throws(ParseError) -> AccessCode {
        let cleaned = Array(text.uppercased().filter { $0 != "-" && $0 != " " })
        guard cleaned.count == dataSymbols + 1 else { throw .length(cleaned.count) }
        var symbols: [UInt8] = []
        for (i, raw) in cleaned.prefix(dataSymbols).enumerated() {
            let c: Character = raw == "I" || raw == "L" ? "1" : raw == "O" ? "0" : raw
            guard let v = alphabet.firstIndex(of: c) else { throw .symbol(raw, position: i + 1) }
            symbols.append(UInt8(v))
        }
        let check = cleaned[dataSymbols] == "I" || cleaned[dataSymbols] == "L" ? "1" : cleaned[dataSymbols] == "O" ? "0" : cleaned[dataSymbols]
        guard let given = checkAlphabet.firstIndex(of: check) else { throw .symbol(cleaned[dataSymbols], position: dataSymbols + 1) }
        guard given == checkValue(symbols) else { throw .checkFailed }
        return AccessCode(symbols: symbols)
    }

    /// What the store keeps instead of the code: PBKDF2 of the canonical code, hex. Finding a code
    /// from it takes 2^65 slow derivations.
    public var grantID: String {
        let derived = try! KeyDerivation.pbkdf2SHA256(password: Array(canonical.utf8), salt: Array("sealrec-grant-v1".utf8),
                                                       iterations: AccessCode.derivationRounds)
        return Digest(bytes: derived).hex
    }

    // 65 random bits make guessing hopeless already; the rounds make each guess against a leaked id cost more.
    public static let derivationRounds = 20_000
}
