import Foundation
import SealrecCrypto
import SealrecFormat

/// The manifest alone, checked before anything it describes is downloaded: a store that is not
/// trusted could otherwise state any segment length it likes and have it believed.
public enum ManifestCheck {
    /// nil when every line parses, is signed by the trusted key the session entry names, and the
    /// chain holds (seq, prev, session first, nothing after the end entry); otherwise the first
    /// problem, naming its line. The lengths and hashes the lines state can then be relied on.
    public static func signedBy(trusted: [RoomPublicKey], manifestBytes data: Data) -> String? {
        let bytes = data.withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
        let (lines, unterminated) = SignedLine.lines(of: bytes)
        guard !lines.isEmpty else { return "the manifest holds no complete line" }
        var state = ChainState()
        var key: RoomPublicKey?
        var endLine: Int?
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line: ManifestLine
            do {
                let (body, signature) = try ManifestLine.split(raw)
                line = try ManifestLine.parse(body: body, signature: signature)
            } catch { return "line \(number): \(error.description)" }
            if index == 0 {
                guard case let .session(_, fingerprint) = line.entry else { return "line 1: the first entry must be the session entry" }
                guard let match = trusted.first(where: { $0.fingerprint == fingerprint }) else {
                    return "line 1: the session is signed by key \(SafeText.escape(fingerprint)), which is not a trusted key (trusted: "
                        + trusted.map(\.fingerprint).joined(separator: ", ") + ")"
                }
                key = match
            }
            if let endLine { return "line \(number): entry after the end entry at line \(endLine)" }
            if let key, let problem = state.problem(with: line, index: index, key: key) { return "line \(number): \(problem)" }
            if case .end = line.entry { endLine = number }
            state.advance(past: line)
        }
        if let unterminated {
            return "line \(lines.count + 1): incomplete last line: \(unterminated.count) bytes without a newline"
        }
        return nil
    }
}
