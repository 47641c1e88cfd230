import Foundation
import SealrecFormat
import Testing
@testable import SealrecSeal

/// Deterministic generator (SplitMix64), so a failing iteration can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random damage to manifest bytes, of the kinds a broken disk, a careless editor or a forger produce.
enum ManifestMutation: CaseIterable {
    case flipBit, truncate, insertGarbage, deleteRange, duplicateLine, swapLines, wrongValueType,
         invalidUTF8, nonASCII, joinLines, insertWhitespace, hugeLine

    func apply(to bytes: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var out = bytes
        let position = Int.random(in: 0..<bytes.count, using: &rng)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map(Array.init)
        func joined() -> [UInt8] { lines.flatMap { $0 + [0x0A] } }
        guard !lines.isEmpty else { return Array(bytes.dropLast()) }
        switch self {
        case .flipBit: out[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case .truncate: out = Array(bytes.prefix(position))
        case .insertGarbage:
            out.insert(contentsOf: (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: position)
        case .deleteRange: out.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...300, using: &rng)))
        case .duplicateLine:
            let line = Int.random(in: 0..<lines.count, using: &rng)
            lines.insert(lines[line], at: Int.random(in: 0...lines.count, using: &rng))
            out = joined()
        case .swapLines:
            lines.swapAt(Int.random(in: 0..<lines.count, using: &rng), Int.random(in: 0..<lines.count, using: &rng))
            out = joined()
        case .wrongValueType:
            let line = Int.random(in: 0..<lines.count, using: &rng)
            let colons = lines[line].indices.dropFirst().filter { lines[line][$0] == UInt8(ascii: ":") && lines[line][$0 - 1] == UInt8(ascii: "\"") }
            guard let colon = colons.randomElement(using: &rng) else { return Array(bytes.dropLast()) }
            var end = colon + 1
            while end < lines[line].count, lines[line][end] != UInt8(ascii: ","), lines[line][end] != UInt8(ascii: "}") { end += 1 }
            let replacement = [#""x""#, "1", "-1", "true", "null", "[]", "{}", "1.5", "1e999", "99999999999999999999", #""""#]
                .randomElement(using: &rng)!
            lines[line].replaceSubrange((colon + 1)..<end, with: Array(replacement.utf8))
            out = joined()
        case .invalidUTF8:
            out.insert(contentsOf: [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF0, 0x9F]].randomElement(using: &rng)!, at: position)
        case .nonASCII: out.insert(contentsOf: Array("é".utf8), at: position)
        case .joinLines:
            guard let newline = bytes.indices.filter({ bytes[$0] == 0x0A }).dropLast().randomElement(using: &rng) else { return bytes }
            out.remove(at: newline)
        case .insertWhitespace:
            guard let comma = bytes.indices.filter({ bytes[$0] == UInt8(ascii: ",") }).randomElement(using: &rng) else { return bytes }
            out.insert(UInt8(ascii: " "), at: comma + 1)
        case .hugeLine:
            let line = Int.random(in: 0..<lines.count, using: &rng)
            lines[line].insert(contentsOf: Array(repeating: UInt8(ascii: "A"), count: SignedLine.maxLineBytes + 100), at: 20)
            out = joined()
        }
        return out
    }
}

@Suite struct VerifierFuzzTests {
    /// Thousands of damaged manifests: the verifier never crashes, never passes one, and always
    /// names a problem.
    @Test func damagedManifestsAlwaysFailWithAProblem() throws {
        let session = try SealedSession()
        let original = try session.manifest.bytes()
        #expect(session.verify().verdict == .verified)
        let seed: UInt64 = 0x5EA1_2EC0
        var rng = SplitMix64(state: seed)
        var checked = 0
        var mutationCounts: [String: Int] = [:]
        for iteration in 0..<2500 {
            // Huge lines are expensive to write and read; a few are enough.
            let candidates = iteration % 250 == 0 ? [.hugeLine] : ManifestMutation.allCases.filter { $0 != .hugeLine }
            let mutation = candidates.randomElement(using: &rng)!
            var mutated = mutation.apply(to: original, using: &rng)
            if Bool.random(using: &rng) { mutated = candidates.randomElement(using: &rng)!.apply(to: mutated.isEmpty ? original : mutated, using: &rng) }
            if mutated == original { continue }
            try session.manifest.write(bytes: mutated)
            let report = session.verify()
            checked += 1
            mutationCounts["\(mutation)", default: 0] += 1
            let context = Comment(rawValue: "seed \(seed) iteration \(iteration) \(mutation):\n\(report.text())")
            #expect(report.verdict == .failed, context)
            #expect(!report.problems.isEmpty && report.problems.allSatisfy { !$0.message.isEmpty }, context)
            if mutation == .hugeLine {
                #expect(report.problems.contains { $0.message.contains("longer than the 1048576-byte limit") }, context)
            }
        }
        #expect(checked > 2000)
        #expect(mutationCounts.count == ManifestMutation.allCases.count)
        try session.manifest.write(bytes: original)
        #expect(session.verify().verdict == .verified)
    }

    /// The line reader alone, on random bytes and random slices of real lines: what it accepts is
    /// exactly a whole line (its parts put back together give the line), what it refuses is named.
    @Test func lineReaderOnRandomInputAcceptsOnlyWholeLines() throws {
        let session = try SealedSession()
        let lines = try session.manifest.lines().map { Array($0.utf8) }
        var rng = SplitMix64(state: 42)
        var accepted = 0, refused = 0, whole = 0
        for _ in 0..<5000 {
            let index = Int.random(in: 0..<lines.count, using: &rng)
            var line = lines[index]
            // One in eight stays whole, so acceptance is tested as often as refusal.
            if Int.random(in: 0..<8, using: &rng) != 0 {
                let cut = Int.random(in: 0...line.count, using: &rng)
                line = Bool.random(using: &rng) ? Array(line.prefix(cut)) : Array(line.suffix(line.count - cut))
                line += (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let context = Comment(rawValue: String(decoding: line, as: UTF8.self))
            do {
                let (body, signature) = try ManifestLine.split(line[...])
                accepted += 1
                #expect(signature.count == 64, context)
                let rebuilt = body.dropLast() + Array(#","sig":""#.utf8) + Array(Data(signature).base64EncodedString().utf8) + Array(#""}"#.utf8)
                #expect(rebuilt == line, context)
            } catch {
                refused += 1
                if line.contains(where: { $0 >= 0x80 }) {
                    switch error {
                    case .line(.nonASCII), .line(.invalidUTF8): break
                    default: Issue.record("a non-ASCII line refused as \(error): \(context)")
                    }
                }
                #expect(line != lines[index], "an untouched line was refused: \(error)")
            }
            if line == lines[index] {
                whole += 1
                let (body, signature) = try ManifestLine.split(line[...])
                #expect(try ManifestLine.parse(body: body, signature: signature).seq == Int64(index))
            }
        }
        // The seed gives both kinds in numbers: the test looked at accepted and refused lines alike.
        #expect(whole > 400 && accepted >= whole && refused > 3000, "accepted \(accepted), whole \(whole), refused \(refused)")
    }
}
