import Foundation

/// Runs a program and collects its output: for checking recordings with tools we did not write.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum Run {
    @discardableResult
    public static func tool(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                            stdin: Data? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try which(executable))
        p.arguments = args
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty tool cannot fill one and deadlock.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        let errFD = err.fileHandleForReading.fileDescriptor
        DispatchQueue.global().async { errBox.data = readAll(errFD); group.leave() }
        let outData = readAll(out.fileHandleForReading.fileDescriptor)
        group.wait()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Reads a descriptor to its end, retrying interrupted reads (Foundation's reader traps on EINTR).
    static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    public static func which(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw NSError(domain: "Run", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name) not found on PATH"])
    }

    /// The `sealrec` binary built beside the test bundle.
    public static var sealrecPath: String {
        if let p = ProcessInfo.processInfo.environment["SEALREC_BIN"] { return p }
        let besideRunner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sealrec").path
        if FileManager.default.isExecutableFile(atPath: besideRunner) { return besideRunner }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sealrec").path
    }

    public static func sealrec(_ args: [String]) throws -> ProcessResult { try tool(sealrecPath, args) }
}

/// A fresh folder under /tmp for one test, removed by `remove()`.
public struct Scratch: Sendable {
    public let path: String
    public init(_ label: String = "t") {
        path = NSTemporaryDirectory() + "sealrec-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func file(_ name: String) -> String { path + "/" + name }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
