import Foundation
import SealrecFuzz
import Testing

private let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fuzz/corpus")

/// Every seed and every input a fuzzer once crashed on, through the fuzz targets' own code: a
/// regression comes back as a crash or a failed invariant here, in the ordinary test run.
@Suite struct CorpusReplayTests {
    @Test(arguments: FuzzTargets.names)
    func corpusReplaysWithoutCrashing(_ target: String) throws {
        let folder = corpus.appendingPathComponent(target)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty, "no seed inputs in \(folder.path)")
        for file in files {
            #expect(FuzzTargets.run(target, try Data(contentsOf: folder.appendingPathComponent(file))))
        }
    }
}
