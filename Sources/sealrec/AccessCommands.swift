import Foundation
import SealrecAccess
import SealrecCrypto
import SealrecPipeline
import SealrecRoom
import SealrecSeal
import SealrecStore
import SealrecSystem
import SealrecFormat

/// `sealrec grant | fetch | revoke | grants`: access codes for approved reviewers.
enum AccessCommands {
    static let usage = """
        sealrec grant SESSION_ID --to NAME [--role lawyer|judge|...] --expires 30d --store STORE --key ROOM_KEY [--qr-out PREFIX]
        sealrec fetch CODE|QR-URI --from STORE --out DIR --trust ROOM_PUBKEY [--trust ...]
        sealrec revoke CODE --store STORE --key ROOM_KEY [--reason TEXT]
        sealrec grants SESSION_ID --store STORE --trust ROOM_PUBKEY
        (STORE: s3://BUCKET[/PREFIX]?endpoint=...&credentials=FILE, file:///PATH or a folder path)
        """

    static func store(_ spec: String) throws -> GrantStore {
        if !StoreLocation.isStoreURL(spec), !FileManager.default.fileExists(atPath: spec) { throw UsageError("store \(spec) does not exist") }
        return ObjectGrantStore(store: try StoreLocation.open(spec))
    }

    static func trusted(_ paths: [String]) throws -> [RoomPublicKey] {
        guard !paths.isEmpty else { throw UsageError("--trust ROOM_PUBKEY is needed: the room's public key, from the office") }
        return try paths.map { p in
            do { return try RoomPublicKey.load(from: URL(fileURLWithPath: p)) } catch { throw ConfigError("--trust \(p): \(error)") }
        }
    }

    static func key(_ path: String) throws -> RoomKey {
        do { return try RoomKey.load(from: URL(fileURLWithPath: path)) } catch { throw ConfigError("room key: \(error)") }
    }

    static func run(_ verb: String, _ argv: [String]) -> Int32 {
        runCommand(usage: usage) {
            let args = try Arguments(argv, valueFlags: ["--to", "--role", "--expires", "--store", "--key", "--qr-out", "--from", "--out",
                                                        "--trust", "--reason"])
            guard args.positional.count == 1 else { throw UsageError("\(verb) needs one \(verb == "fetch" || verb == "revoke" ? "CODE" : "SESSION_ID")") }
            let subject = args.positional[0]
            switch verb {
            case "grant": return try grant(subject, args)
            case "fetch": return try fetch(subject, args)
            case "revoke":
                let service = GrantService(store: try store(try args.required("--store")))
                let code: AccessCode
                do { code = try AccessCode.parse(subject) } catch { throw ConfigError("\(error)") }
                let g = try service.revoke(code: code, reason: args.value("--reason") ?? "", key: try key(try args.required("--key")))
                print("revoked the code of \(safe(g.grantee)) (\(safe(g.role))) for session \(safe(g.sessionID))")
                return 0
            default:
                let service = GrantService(store: try store(try args.required("--store")))
                let rows = try service.list(sessionID: subject, trusted: try trusted(args.all("--trust")))
                if rows.isEmpty { print("no grants for session \(safe(subject))") }
                for r in rows {
                    print("\(safe(r.grant.grantID.prefix(12)))  \(r.status.padding(toLength: 8, withPad: " ", startingAt: 0))  \(safe(r.grant.role)): \(safe(r.grant.grantee))  "
                          + "issued \(RFC3339.compact(r.grant.issued))  expires \(RFC3339.compact(r.grant.expires))  used \(r.uses)x (\(r.attempts) attempts)")
                }
                return 0
            }
        }
    }

    static func grant(_ session: String, _ args: Arguments) throws -> Int32 {
        guard let validFor = parseDuration(try args.required("--expires")) else { throw UsageError("--expires takes e.g. 30d, 12h, 90m or 2w") }
        let service = GrantService(store: try store(try args.required("--store")))
        let key = try key(try args.required("--key"))
        // The QR files hold the whole code: created owner-only and exclusively before the grant is
        // minted (an existing file or a link there stops us before the store is written), and their
        // default name shows nothing of the code.
        let prefix = args.value("--qr-out") ?? "access-\(fileNameSafe(session))-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let png = try QRFile(prefix + ".png")
        let svg: QRFile
        do { svg = try QRFile(prefix + ".svg") } catch { png.discard(); throw error }
        let minted: (code: AccessCode, uri: AccessURI, grant: GrantInfo)
        do {
            minted = try service.mint(sessionID: session, grantee: try args.required("--to"), role: args.value("--role") ?? "reviewer",
                                      validFor: validFor, key: key)
        } catch { png.discard(); svg.discard(); throw error }
        let qr = try QRCode(minted.uri.string)
        try png.write(Array(qr.png(scale: 8)))
        try svg.write(Array(qr.svg().utf8))
        print("access code for \(safe(minted.grant.grantee)) (\(safe(minted.grant.role))), session \(safe(session)), valid until \(RFC3339.format(minted.grant.expires)):")
        print("")
        print("    \(minted.code)")
        print("")
        print("QR: \(safe(prefix)).png, \(safe(prefix)).svg  (payload: \(safe(minted.uri.string)))")
        print(qr.terminal())
        print("The store keeps only a derived id of this code; write it down now.")
        return 0
    }

    /// A session id as part of a file name: anything but letters, digits, '.', '_' and '-' becomes '_'.
    static func fileNameSafe(_ text: String) -> String {
        String(text.unicodeScalars.prefix(80).map { s -> Character in
            switch s {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": Character(s)
            default: "_"
            }
        })
    }

    static func fetch(_ input: String, _ args: Arguments) throws -> Int32 {
        let out = try args.required("--out")
        if FileManager.default.fileExists(atPath: out), !((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty {
            throw UsageError("--out \(out) is not empty: fetch into a new folder")
        }
        let trusted = try trusted(args.all("--trust"))
        // The check symbol is tested before the store is even opened.
        if AccessURI.parse(input) == nil {
            do { _ = try AccessCode.parse(input) } catch { throw ConfigError("\(error)") }
        }
        let service = GrantService(store: try store(try args.required("--from")))
        do {
            let fetched = try service.fetch(input, into: out, trusted: trusted)
            print("READY: session \(safe(fetched.grant.sessionID)) for \(safe(fetched.grant.grantee)) (\(safe(fetched.grant.role))) is in \(safe(out)), verified:")
            print(fetched.report.text(), terminator: "")
            return 0
        } catch let failure as AccessFailure {
            if case .verificationFailed(let report) = failure {
                // The verifier's report escapes what it quotes from the files itself.
                Output.error("fetch refused: verification failed; nothing was written to \(out):")
                Output.raw(report)
            } else {
                Output.error("fetch refused: \(failure); nothing was written to \(out)")
            }
            return 1
        }
    }
}

/// A QR image file: created new (O_EXCL: never through a link, never over a file) with mode 0600,
/// because it holds the whole access code.
struct QRFile {
    let file: DurableFile

    init(_ path: String) throws {
        do { file = try DurableFile.createNew(path, mode: 0o600) } catch {
            throw ConfigError(error.alreadyExists ? "\(path) already exists; choose another --qr-out" : "QR file: \(error)")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        do { try file.write(bytes); try file.sync() } catch { throw ConfigError("QR file: \(error)") }
    }

    /// Removes the (still empty) file when no grant was made after all.
    func discard() { unlink(file.path) }
}
