import Foundation
import SealrecCrypto
import SealrecFormat

/// Which public key checks the signatures, and whether the caller trusts it. The session
/// entry names the key by fingerprint; a trusted key (--trust) with that fingerprint wins, else
/// the folder's room.pub.pem is used, which proves consistency only (verdict untrusted_key).
struct SigningKeySelection {
    var key: RoomPublicKey?
    var trusted = false
    var source: String?
    /// Every key we could check a signature against, to name who signed a foreign line.
    var candidates: [RoomPublicKey]

    static func select(sessionFingerprint: String?, trusted: [TrustedKey],
                       folder: URL, report: inout VerificationReport) -> SigningKeySelection {
        let folderKeyURL = folder.appendingPathComponent(SessionFiles.publicKey)
        var folderKey: RoomPublicKey?
        var folderKeyProblem = "\(SessionFiles.publicKey) is missing"
        if FileManager.default.fileExists(atPath: folderKeyURL.path) {
            do { folderKey = try RoomPublicKey.load(from: folderKeyURL) } catch {
                folderKeyProblem = "\(SessionFiles.publicKey) is unreadable (\(error))"
            }
        }
        var selection = SigningKeySelection(candidates: trusted.map(\.key) + (folderKey.map { [$0] } ?? []))
        guard let fingerprint = sessionFingerprint else {
            // No readable session entry: check with what we have, so later lines still get checked.
            if let first = trusted.first {
                (selection.key, selection.trusted, selection.source) = (first.key, true, first.source)
            } else if let folderKey {
                (selection.key, selection.source) = (folderKey, SessionFiles.publicKey)
            }
            return selection
        }
        if let match = trusted.first(where: { $0.key.fingerprint == fingerprint }) {
            (selection.key, selection.trusted, selection.source) = (match.key, true, match.source)
        } else if let folderKey, folderKey.fingerprint == fingerprint {
            (selection.key, selection.source) = (folderKey, SessionFiles.publicKey)
        } else {
            if let folderKey { folderKeyProblem = "\(SessionFiles.publicKey) has fingerprint \(folderKey.fingerprint)" }
            report.add(VerificationProblem(.keyNotFound, line: 1, seq: 0, "no public key with the session's fingerprint \(fingerprint): "
                + "\(folderKeyProblem), and no trusted key matches; signatures cannot be checked"))
        }
        if let folderKey, selection.trusted, folderKey != selection.key {
            report.note("\(SessionFiles.publicKey) (fingerprint \(folderKey.fingerprint)) is not the session key; ignored")
        }
        return selection
    }

    /// nil when the signature is valid under the selected key; otherwise what is wrong.
    func signatureProblem(_ line: ManifestLine) -> (ProblemCode, String)? {
        guard let key else { return nil }  // already reported once
        if key.verify(signature: line.signature, message: line.body) { return nil }
        if let other = candidates.first(where: { $0 != key && $0.verify(signature: line.signature, message: line.body) }) {
            return (.foreignSignature, "signed by key \(other.fingerprint), not by the session key \(key.fingerprint)")
        }
        return (.badSignature, "signature does not verify with key \(key.fingerprint) (entry altered or signed by an unknown key)")
    }
}
