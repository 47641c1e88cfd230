import Foundation
import SealrecCrypto
import SealrecFormat
import SealrecSeal

/// The QR payload: `sealrec://fetch/SESSION_ID?code=CODE&chain=HASH`, where CODE is the typed code
/// (groups of four, percent-encoded) and HASH the session's final chain hash: the SHA-256 (hex) of
/// the signed body of the manifest's last line. The paper then names exactly one recording.
public struct AccessURI: Equatable, Sendable {
    public let sessionID: String
    public let code: String
    public let chainHash: String

    public init(sessionID: String, code: String, chainHash: String) {
        self.sessionID = sessionID; self.code = code; self.chainHash = chainHash
    }

    static let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")

    public var string: String {
        let s = sessionID.addingPercentEncoding(withAllowedCharacters: AccessURI.allowed) ?? sessionID
        let c = code.addingPercentEncoding(withAllowedCharacters: AccessURI.allowed) ?? code
        return "sealrec://fetch/\(s)?code=\(c)&chain=\(chainHash)"
    }

    public static func parse(_ text: String) -> AccessURI? {
        guard text.hasPrefix("sealrec://fetch/"), let components = URLComponents(string: text) else { return nil }
        let session = String(components.path.drop { $0 == "/" })
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        guard !session.isEmpty, let code = items["code"], let chain = items["chain"], chain.count == 64 else { return nil }
        return AccessURI(sessionID: session, code: code, chainHash: chain)
    }
}

/// The final chain hash of a manifest: SHA-256 of the signed body of its last line.
public enum ChainHead {
    public static func of(manifest: Data) throws -> String {
        guard let last = manifest.split(separator: 10).last(where: { !$0.isEmpty }) else { throw GrantStoreError("the manifest is empty") }
        do { return SHA256Hasher.hash(try SignedLine.split(ArraySlice(last)).body).hex } catch {
            throw GrantStoreError("the manifest's last line is not a signed entry: \(error)")
        }
    }
}

/// One grant as read back from the store.
public struct GrantInfo: Sendable {
    public let grantID: String
    public let sessionID: String
    public let roomID: String
    public let grantee: String
    public let role: String
    public let issued: Date
    public let expires: Date
    public let chainHash: String
    public let issuerFingerprint: String
}

public enum AccessFailure: Error, Equatable, CustomStringConvertible {
    case mistyped(String)
    case unknown
    case badGrant(String)
    case expired(Date)
    case revoked(Date, String)
    case sessionMismatch(String)
    case chainMismatch(expected: String, found: String)
    case verificationFailed(String)
    case store(String)
    /// The destination folder could not be prepared or the verified session not moved into it.
    case destination(String)

    public var description: String {
        switch self {
        case .mistyped(let m): return m
        case .unknown: return "unknown code: no grant for it in the store"
        case .badGrant(let m): return "the grant for this code is not valid: \(m)"
        case .expired(let d): return "expired: the grant ran out at \(RFC3339.format(d))"
        case let .revoked(d, reason): return "revoked at \(RFC3339.format(d))\(reason.isEmpty ? "" : ": \(reason)")"
        case .sessionMismatch(let m): return m
        case let .chainMismatch(e, f): return "the recording in the store does not match the QR's chain hash (paper \(e), store \(f)): it was replaced or altered"
        case .verificationFailed(let m): return "verification failed:\n\(m)"
        case .store(let m): return "store: \(m)"
        case .destination(let m): return m
        }
    }

    var logResult: String {
        switch self {
        case .mistyped: return "mistyped"
        case .unknown: return "unknown"
        case .badGrant: return "bad_grant"
        case .expired: return "expired"
        case .revoked: return "revoked"
        case .sessionMismatch: return "session_mismatch"
        case .chainMismatch: return "chain_mismatch"
        case .verificationFailed: return "verification_failed"
        case .store: return "store_error"
        case .destination: return "destination_error"
        }
    }
}

/// Minting, revoking, listing and using grants against a store.
public struct GrantService: Sendable {
    public let store: GrantStore
    public init(store: GrantStore) { self.store = store }

    /// A new code for one reviewer and one session. The store keeps the grant under the code's
    /// derived id only; the code itself is returned once and never stored.
    public func mint(sessionID: String, grantee: String, role: String, validFor: TimeInterval, key: RoomKey,
                     now: Date = Date()) throws -> (code: AccessCode, uri: AccessURI, grant: GrantInfo) {
        guard !grantee.trimmingCharacters(in: .whitespaces).isEmpty, grantee.count <= 200 else { throw GrantStoreError("--to needs the reviewer's name (1 to 200 characters)") }
        guard validFor > 0 else { throw GrantStoreError("--expires must be in the future") }
        // Names end up on reviewers' terminals and in the journal: text only, no control characters.
        for (flag, value) in [("--to", grantee), ("--role", role)] where !value.unicodeScalars.allSatisfy(SafeText.isPrintable) {
            throw GrantStoreError("\(flag) has control or invisible characters; give plain text")
        }
        let manifest = try store.manifest(ofSession: sessionID)
        let chain = try ChainHead.of(manifest: manifest)
        let first = manifest.split(separator: 10).first.map { ArraySlice([UInt8]($0)) } ?? []
        let roomID = (try? SignedLine(first))?["room_id"]?.stringValue ?? ""
        let code = try AccessCode.random()
        let id = code.grantID
        let expires = now.addingTimeInterval(validFor)
        let record = try SignedRecord.make([
            JSONMember("type", .string("grant")), JSONMember("grant_id", .string(id)),
            JSONMember("session_id", .string(sessionID)), JSONMember("room_id", .string(roomID)),
            JSONMember("grantee", .string(grantee)), JSONMember("role", .string(role)),
            JSONMember("issued", .string(RFC3339.format(now))), JSONMember("expires", .string(RFC3339.format(expires))),
            JSONMember("chain", .string(chain)), JSONMember("issuer_fingerprint", .string(key.publicKey.fingerprint)),
        ], key: key)
        try store.create("grants/\(id).json", record)
        let uri = AccessURI(sessionID: sessionID, code: code.description, chainHash: chain)
        return (code, uri, GrantInfo(grantID: id, sessionID: sessionID, roomID: roomID, grantee: grantee, role: role,
                                     issued: now, expires: expires, chainHash: chain, issuerFingerprint: key.publicKey.fingerprint))
    }

    /// Reads and checks the grant behind a grant id.
    public func grant(id: String, trusted: [RoomPublicKey]) throws -> GrantInfo {
        guard let data = try store.read("grants/\(id).json") else { throw AccessFailure.unknown }
        let fields: SignedLine
        do { fields = try SignedRecord.open(data, trusted: trusted).line } catch { throw AccessFailure.badGrant("\(error)") }
        func text(_ k: String) throws -> String {
            guard let v = fields[k]?.stringValue else { throw AccessFailure.badGrant("it has no \(k)") }
            return v
        }
        func date(_ k: String) throws -> Date {
            guard let us = RFC3339.parseMicroseconds(try text(k)) else { throw AccessFailure.badGrant("\(k) is not a time") }
            return RFC3339.date(microseconds: us)
        }
        guard try text("type") == "grant", try text("grant_id") == id else { throw AccessFailure.badGrant("it is filed under another id") }
        return GrantInfo(grantID: id, sessionID: try text("session_id"), roomID: try text("room_id"), grantee: try text("grantee"),
                         role: try text("role"), issued: try date("issued"), expires: try date("expires"),
                         chainHash: try text("chain"), issuerFingerprint: try text("issuer_fingerprint"))
    }

    /// The revocation of a grant, if there is a valid one.
    public func revocation(id: String, trusted: [RoomPublicKey]) throws -> (Date, String)? {
        guard let data = try store.read("revocations/\(id).json"),
              let fields = try? SignedRecord.open(data, trusted: trusted).line,
              fields["grant_id"]?.stringValue == id,
              let at = fields["revoked"]?.stringValue.flatMap(RFC3339.parseMicroseconds) else { return nil }
        return (RFC3339.date(microseconds: at), fields["reason"]?.stringValue ?? "")
    }

    public func revoke(code: AccessCode, reason: String, key: RoomKey, now: Date = Date()) throws -> GrantInfo {
        guard reason.unicodeScalars.allSatisfy(SafeText.isPrintable) else { throw GrantStoreError("--reason has control or invisible characters; give plain text") }
        let id = code.grantID
        let g = try grant(id: id, trusted: [key.publicKey])
        if try revocation(id: id, trusted: [key.publicKey]) != nil { throw GrantStoreError("this code is already revoked") }
        try store.create("revocations/\(id).json", try SignedRecord.make([
            JSONMember("type", .string("revocation")), JSONMember("grant_id", .string(id)),
            JSONMember("session_id", .string(g.sessionID)), JSONMember("revoked", .string(RFC3339.format(now))),
            JSONMember("reason", .string(reason)), JSONMember("issuer_fingerprint", .string(key.publicKey.fingerprint)),
        ], key: key))
        return g
    }

    public struct Listed: Sendable { public let grant: GrantInfo; public let status: String; public let uses: Int; public let attempts: Int }

    /// The session's grants with their status and how often they were used.
    public func list(sessionID: String, trusted: [RoomPublicKey], now: Date = Date()) throws -> [Listed] {
        let log = try accessLog(sessionID: sessionID)
        return try store.list(prefix: "grants/").compactMap { key -> Listed? in
            let id = String(key.dropFirst("grants/".count).dropLast(".json".count))
            guard let g = try? grant(id: id, trusted: trusted), g.sessionID == sessionID else { return nil }
            let status = try revocation(id: id, trusted: trusted) != nil ? "revoked" : g.expires <= now ? "expired" : "active"
            let mine = log.filter { $0["grant_id"] as? String == id }
            return Listed(grant: g, status: status, uses: mine.filter { $0["result"] as? String == "ok" }.count, attempts: mine.count)
        }.sorted { $0.grant.issued < $1.grant.issued }
    }

    func accessLog(sessionID: String) throws -> [[String: Any]] {
        try store.list(prefix: "access-log/\(sessionID)/").compactMap { key in
            try store.read(key).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    public struct Fetched: Sendable { public let grant: GrantInfo; public let report: VerificationReport }

    /// Uses a code (typed, or the QR's URI): checks it offline, finds and checks the grant, downloads
    /// the session into a private folder (0700) beside `folder`, verifies it fully and against the
    /// paper's chain hash, and only then renames it to `folder`; a refused fetch leaves `folder` as it
    /// was. Every attempt that gets as far as the store is written to the session's access log.
    public func fetch(_ input: String, into folder: String, trusted: [RoomPublicKey], now: Date = Date()) throws -> Fetched {
        let uri = AccessURI.parse(input)
        let code: AccessCode
        do { code = try AccessCode.parse(uri?.code ?? input) } catch { throw AccessFailure.mistyped("\(error)") }
        let id = code.grantID
        var grant: GrantInfo?
        do {
            let g = try self.grant(id: id, trusted: trusted)
            grant = g
            if let uri, uri.sessionID != g.sessionID {
                throw AccessFailure.sessionMismatch("the QR names session \(uri.sessionID) but the code grants \(g.sessionID)")
            }
            if g.expires <= now { throw AccessFailure.expired(g.expires) }
            if let (at, reason) = try revocation(id: id, trusted: trusted) { throw AccessFailure.revoked(at, reason) }
            // Downloaded and verified in a private folder beside `folder`, which appears only once verified.
            let staging: StagingFolder
            do { staging = try StagingFolder(beside: folder) } catch { throw AccessFailure.destination("\(error)") }
            defer { staging.remove() }
            do { try store.downloadSession(g.sessionID, into: staging.path, trusted: trusted) } catch { throw AccessFailure.store("\(error)") }
            var report = Verifier.verify(folder: URL(fileURLWithPath: staging.path), trusted: trusted)
            report.folder = folder
            guard report.verdict == .verified else { throw AccessFailure.verificationFailed(report.text()) }
            let found = try ChainHead.of(manifest: try Data(contentsOf: URL(fileURLWithPath: staging.path + "/" + SessionFiles.manifest)))
            let expected = uri?.chainHash ?? g.chainHash
            guard found == expected, found == g.chainHash else { throw AccessFailure.chainMismatch(expected: expected, found: found) }
            do { try staging.moveIntoPlace() } catch { throw AccessFailure.destination("\(error)") }
            try log(session: g.sessionID, id: id, grant: g, result: "ok", detail: "verified", now: now)
            return Fetched(grant: g, report: report)
        } catch let failure as AccessFailure {
            try? log(session: grant?.sessionID ?? "_unknown", id: id, grant: grant, result: failure.logResult,
                     detail: "\(failure)".split(separator: "\n").first.map(String.init) ?? "", now: now)
            throw failure
        }
    }

    private func log(session: String, id: String, grant: GrantInfo?, result: String, detail: String, now: Date) throws {
        var entry: [String: Any] = ["at": RFC3339.format(now), "grant_id": id, "result": result, "detail": detail,
                                    "host": ProcessInfo.processInfo.hostName, "user": NSUserName()]
        if let grant { entry["grantee"] = grant.grantee; entry["role"] = grant.role }
        let data = try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys])
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        try store.create("access-log/\(session)/\(RFC3339.format(now).replacingOccurrences(of: ":", with: ""))-\(id.prefix(8))-\(suffix).json", data)
    }
}

/// "30d", "12h", "90m", "2w" as seconds.
public func parseDuration(_ text: String) -> TimeInterval? {
    guard let unit = text.last, let n = Double(text.dropLast()), n > 0 else { return nil }
    switch unit {
    case "m": return n * 60
    case "h": return n * 3600
    case "d": return n * 86_400
    case "w": return n * 604_800
    default: return nil
    }
}
