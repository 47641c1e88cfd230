import Foundation
import TestSupport

/// `sealrec` running in the background (an uploader the test may kill), output to a file.
final class BackgroundSealrec: @unchecked Sendable {
    let process = Process()
    let outputPath: String

    init(_ args: [String], output: String) throws {
        outputPath = output
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = FileHandle(forWritingAtPath: output)!
        process.executableURL = URL(fileURLWithPath: Run.sealrecPath)
        process.arguments = args
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Exit status, or nil if still running after `seconds`.
    func wait(_ seconds: Double) -> Int32? {
        guard eventually(seconds, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
}
