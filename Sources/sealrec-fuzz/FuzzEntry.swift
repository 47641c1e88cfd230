import Foundation
import CFuzzDriver
import SealrecFuzz

// Built with `-sanitize=fuzzer,address -DFUZZING` (Scripts/fuzz), main hands over to libFuzzer's
// driver, which calls the entry below with inputs; SEALREC_FUZZ_TARGET names the target. Built normally, `sealrec-fuzz
// TARGET FILE|DIR...` replays inputs (a corpus, a crash found elsewhere) through the same code.

private let fuzzTarget: String = {
    let name = ProcessInfo.processInfo.environment["SEALREC_FUZZ_TARGET"] ?? ""
    guard FuzzTargets.names.contains(name) else {
        FileHandle.standardError.write(Data("SEALREC_FUZZ_TARGET must be one of \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
        exit(64)
    }
    return name
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = FuzzTargets.run(fuzzTarget, Data(bytes: data, count: size))
    return 0
}

@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data!, size) })
        #else
        replay()
        #endif
    }

    static func replay() {
        let args = CommandLine.arguments.dropFirst()
        guard let target = args.first, FuzzTargets.names.contains(target), args.count > 1 else {
            FileHandle.standardError.write(Data("usage: sealrec-fuzz \(FuzzTargets.names.joined(separator: "|")) FILE|DIR...\n".utf8))
            exit(64)
        }
        var count = 0
        for path in args.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                _ = FuzzTargets.run(target, data)
                count += 1
            }
        }
        print("replayed \(count) inputs through \(target)")
    }
}
