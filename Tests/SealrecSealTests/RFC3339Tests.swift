import Foundation
import Testing
@testable import SealrecSeal

@Suite struct RFC3339Tests {
    @Test func formatsSixFractionDigitsInUTC() {
        #expect(RFC3339.format(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(microseconds: 1_790_000_000_250_001) == "2026-09-21T14:13:20.250001Z")
        #expect(RFC3339.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
    }

    @Test func parsesOnlyTheWrittenForm() {
        for micros: Int64 in [0, 1, 999_999, 1_790_000_000_250_001, 951_782_400_000_000 /* 2000-02-29 */] {
            #expect(RFC3339.parseMicroseconds(RFC3339.format(microseconds: micros)) == micros)
        }
        for bad in ["2026-02-30T00:00:00.000000Z", "2026-09-21T14:13:20.25Z", "2026-09-21T14:13:20.250000+00:00",
                    "2026-09-21 14:13:20.250000Z", "2026-13-01T00:00:00.000000Z", "2026-09-21T24:00:00.000000Z", ""] {
            #expect(RFC3339.parseMicroseconds(bad) == nil, "\(bad)")
        }
    }
}
