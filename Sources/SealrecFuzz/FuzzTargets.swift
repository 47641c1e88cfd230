import Foundation
import SealrecAccess
import SealrecCrypto
import SealrecDaemon
import SealrecFormat
import SealrecPipeline
import SealrecSeal
import SealrecStore

/// The parsers that read untrusted bytes, as fuzz targets: each takes any input, must not crash,
/// and checks what must hold whatever the input (a forged manifest never verifies, a report never
/// carries a control character). `sealrec-fuzz` runs them under libFuzzer; the unit tests replay
/// the corpora in Fuzz/corpus/TARGET/ through the same functions.
public enum FuzzTargets {
    public static let names = ["manifest", "control", "config", "access", "s3xml"]

    /// Runs one input through `target`; false for an unknown target name.
    public static func run(_ target: String, _ data: Data) -> Bool {
        switch target {
        case "manifest": manifest(data)
        case "control": control(data)
        case "config": config(data)
        case "access": access(data)
        case "s3xml": s3xml(data)
        default: return false
        }
        return true
    }

    /// A violated invariant: reported like a crash, so the fuzzer keeps the input.
    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant: \(message())") }
    }

    /// A session folder per process: the input up to its first NUL byte is manifest.jsonl, the rest
    /// (if any) index.m3u8; beside them a room key and one small segment file.
    private static let folder: URL = {
        // On tmpfs when there is one: Foundation's file writes sync, which would dominate each run.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("sealrec-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try? Data("x".utf8).write(to: url.appendingPathComponent("seg-00000.mp4"))
        try? key.publicKey.write(to: url.appendingPathComponent(SessionFiles.publicKey))
        atexit { try? FileManager.default.removeItem(at: FuzzTargets.folder) }
        return url
    }()
    private static let key = try! RoomKey.generate()

    static func manifest(_ data: Data) {
        let bytes = [UInt8](data)
        let cut = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let playlist = folder.appendingPathComponent(SessionFiles.playlist)
        try? Data(bytes[..<cut]).write(to: folder.appendingPathComponent(SessionFiles.manifest))
        if cut < bytes.endIndex { try? Data(bytes[(cut + 1)...]).write(to: playlist) } else { try? FileManager.default.removeItem(at: playlist) }
        // Every line on its own through the splitter used for grants and revocations too.
        for line in bytes[..<cut].split(separator: 0x0A, omittingEmptySubsequences: false) { _ = try? SignedLine(line) }
        // Nobody but the room key can sign, and the fuzzer does not hold it.
        let report = Verifier.verify(folder: folder, trusted: [key.publicKey])
        require(report.verdict == .failed, "an unsigned manifest verified: \(report.text())")
        let text = report.text()
        require(!text.unicodeScalars.contains { $0 != "\n" && !SafeText.isPrintable($0) }, "control character in the report")
        require(!report.json().utf8.contains { $0 < 0x20 && $0 != 0x0A }, "raw control byte in the JSON report")
    }

    static func control(_ data: Data) {
        if case .success(let request) = ControlRequest.parse(data) {
            _ = request.line
        }
    }

    static func config(_ data: Data) {
        _ = try? RoomConfig.parse(data)
    }

    static func access(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let code = try? AccessCode.parse(text) {
            require((try? AccessCode.parse(code.description)) == code, "a parsed code does not read back")
        }
        if let uri = AccessURI.parse(text) { _ = AccessURI.parse(uri.string) }
        _ = try? SignedRecord.open(data, trusted: [key.publicKey])
        _ = try? ChainHead.of(manifest: data)
    }

    static func s3xml(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        for name in ["Code", "Message", "Key", "UploadId", "IsTruncated"] { _ = S3XML.values(name, in: text) }
        _ = S3XML.unescape(S3XML.escape(text))
    }
}
