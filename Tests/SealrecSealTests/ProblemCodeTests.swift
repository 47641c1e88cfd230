import Foundation
import Testing
@testable import SealrecSeal

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The problem codes are a published interface: MANIFEST.md lists each with its rule, and the
/// conformance suite may only expect codes the verifier has.
@Suite struct ProblemCodeTests {
    @Test func everyCodeIsDocumentedWithItsRule() throws {
        let document = try String(contentsOf: repository.appendingPathComponent("Sources/SealrecSeal/MANIFEST.md"), encoding: .utf8)
        for code in ProblemCode.allCases {
            #expect(document.contains("| `\(code.rawValue)` | R"), "\(code.rawValue) is not in MANIFEST.md's table")
        }
    }

    @Test func theSuiteExpectsOnlyKnownCodesAndCoversMostOfThem() throws {
        let cases = repository.appendingPathComponent("Tests/Conformance/cases")
        var expected = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: cases.path) {
            let data = try Data(contentsOf: cases.appendingPathComponent(name).appendingPathComponent("expected.json"))
            let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
            expected.formUnion(try #require(object["codes"] as? [String]))
        }
        let known = Set(ProblemCode.allCases.map(\.rawValue))
        #expect(expected.subtracting(known).isEmpty, "unknown codes: \(expected.subtracting(known).sorted())")
        // Only what a folder in git cannot hold (an unreadable file or folder, a 256 MiB manifest) is left out.
        let untestable: Set = ["manifest_unreadable", "manifest_too_large", "segment_unreadable", "folder_unreadable"]
        #expect(known.subtracting(expected).subtracting(untestable).isEmpty, "codes no case exercises: \(known.subtracting(expected).sorted())")
    }
}
