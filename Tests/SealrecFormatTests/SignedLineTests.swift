import Testing
import SealrecFormat

/// The strict line reader every signed-line reader shares (manifest, grants, revocations, upload,
/// recovery): what it accepts is exactly what the writer writes.
@Suite struct SignedLineTests {
    /// A syntactically valid signature member (64 zero bytes); `SignedLine` does not verify it.
    static let signature = [UInt8](repeating: 0, count: 64)

    @Test func encodedLinesReadBackWithTheirMembersInOrder() throws {
        let body = JSONValue.object([JSONMember("seq", .int(7)), JSONMember("type", .string("end")),
                                     JSONMember("note", .string("é \"q\""))]).asciiBytes
        let encoded = SignedLine.encode(body: body, signature: Self.signature)
        #expect(encoded.last == 0x0A && encoded.allSatisfy { $0 < 0x80 })
        let line = try SignedLine(encoded.dropLast())
        #expect(line.body == body && line.signature == Self.signature)
        #expect(line.members.map(\.name) == ["seq", "type", "note"])
        #expect(line["seq"]?.int64 == 7 && line["type"]?.stringValue == "end" && line["note"]?.stringValue == "é \"q\"")
        #expect(line["absent"] == nil)
    }

    @Test func aBodyWithAMemberTwiceIsRefusedNamingIt() {
        let body = Array(#"{"type":"grant","session_id":"A","session_id":"B"}"#.utf8)
        let encoded = SignedLine.encode(body: body, signature: Self.signature)
        #expect {
            try SignedLine(encoded.dropLast())
        } throws: { error in
            guard case .json(let parse) = error as? SignedLineError else { return false }
            return "\(error)" == #"body is not canonical JSON: duplicate member "session_id" at byte 33"#
                && parse.offset == 33
        }
    }

    @Test func nonCanonicalBodiesAreRefused() {
        for text in [#"{"a": 1}"#, #"{"a":01}"#, #"{"a":"\u0041"}"#, #"{"a":1}}"#] {
            let encoded = SignedLine.encode(body: Array(text.utf8), signature: Self.signature)
            #expect(throws: (any Error).self, "\(text)") { try SignedLine(encoded.dropLast()) }
            do { _ = try SignedLine(encoded.dropLast()) } catch {
                #expect("\(error)".hasPrefix("body is not canonical JSON: "), "\(text): \(error)")
            }
        }
        #expect(throws: SignedLineError.notAnObject) { try SignedLine.members(of: Array("[1]".utf8)) }
    }

    @Test func linesSplitAtNewlinesAndKeepATornTail() {
        let (complete, torn) = SignedLine.lines(of: Array("a\n\nbc\nde".utf8))
        #expect(complete.map { String(decoding: $0, as: UTF8.self) } == ["a", "", "bc"])
        #expect(torn.map { String(decoding: $0, as: UTF8.self) } == "de")
        #expect(SignedLine.lines(of: Array("a\n".utf8)).unterminated == nil)
    }

    @Test func theFolderNamesAreReservedForSegments() {
        for name in [SessionFiles.manifest, SessionFiles.publicKey, SessionFiles.playlist] {
            #expect(SegmentFileName.problem(with: name) == "is reserved for \(name)")
        }
        #expect(SegmentFileName.problem(with: "seg-00000.mp4") == nil)
    }
}
