import Foundation
import SealrecFormat

/// `index.m3u8` is not sealed, yet reviewers play it: when present it must play exactly the sealed
/// segments, in manifest order, each once and whole, with the manifest's durations. Only the lines
/// the recorder writes are accepted (see MANIFEST.md); anything else could change what plays.
struct PlaylistCheck {
    /// A real playlist is about 300 bytes per segment; larger is not read.
    static let maxBytes = 16 << 20
    static let headerTags = ["#EXT-X-VERSION:", "#EXT-X-TARGETDURATION:", "#EXT-X-MEDIA-SEQUENCE:", "#EXT-X-PLAYLIST-TYPE:"]

    let segments: [TimelineCheck.Listed]
    /// The manifest has its end entry: then and only then the playlist ends with #EXT-X-ENDLIST.
    let ended: Bool

    /// The tags between two media URIs, as far as they were read.
    private struct Block {
        var discontinuity = false
        var map: (uri: String, length: Int64)?
        var dateTime = false
        var durationMicros: Int64?
        var range: (length: Int64, offset: Int64)?
        var isEmpty: Bool { !discontinuity && map == nil && !dateTime && durationMicros == nil && range == nil }
    }

    func check(folder: URL, into report: inout VerificationReport) {
        let name = SessionFiles.playlist
        func problem(_ message: @autoclosure () -> String) { report.add(VerificationProblem(.playlistMismatch, file: name, message())) }
        let url = folder.appendingPathComponent(name)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return }  // none: nothing to play
        guard attributes[.type] as? FileAttributeType == .typeRegular else { return problem("is not a regular file") }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        guard size <= Self.maxBytes else { return problem("is \(size) bytes, over the \(Self.maxBytes)-byte limit; not read") }
        guard let data = try? Data(contentsOf: url) else { return problem("cannot be read") }
        let bytes = data.withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
        var lineNumber = 1
        for byte in bytes {
            if byte == 0x0A { lineNumber += 1 } else if byte < 0x20 || byte > 0x7E {
                return problem("line \(lineNumber) holds a byte that is not printable ASCII (0x\(String(byte, radix: 16)))")
            }
        }
        guard bytes.last == 0x0A else { return problem("last line has no newline (truncated)") }
        let lines = bytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard lines.first == "#EXTM3U" else { return problem("line 1 is not #EXTM3U") }
        checkLines(lines, problem: problem)
    }

    private func checkLines(_ lines: [String], problem: (@autoclosure () -> String) -> Void) {
        var byName: [String: TimelineCheck.Listed] = [:]
        for segment in segments where byName[segment.record.fileName] == nil { byName[segment.record.fileName] = segment }
        var played: [(name: String, line: Int)] = []
        var block = Block()
        var endList: Int?
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if let endList { problem("line \(number) follows #EXT-X-ENDLIST (line \(endList))"); continue }
            if Self.headerTags.contains(where: line.hasPrefix) || line == "#EXT-X-INDEPENDENT-SEGMENTS" {
                if !played.isEmpty || !block.isEmpty { problem("line \(number): \(line) stands among the segments") }
                else if !Self.isHeaderTagValid(line) { problem("line \(number): \(line) is not a value the recorder writes") }
            } else if line == "#EXT-X-DISCONTINUITY" {
                if played.isEmpty || block.discontinuity { problem("line \(number): #EXT-X-DISCONTINUITY only stands once before a segment after the first") }
                block.discontinuity = true
            } else if line.hasPrefix("#EXT-X-MAP:") {
                guard block.map == nil, let map = Self.parseMap(line) else { problem("line \(number): \(line) is malformed or repeated"); continue }
                block.map = map
            } else if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                let value = line.dropFirst("#EXT-X-PROGRAM-DATE-TIME:".count)
                guard !block.dateTime, !value.isEmpty, value.allSatisfy({ $0.isNumber || "T:.+-Z".contains($0) }) else {
                    problem("line \(number): \(line) is malformed or repeated"); continue
                }
                block.dateTime = true
            } else if line.hasPrefix("#EXTINF:") {
                guard block.durationMicros == nil, let micros = Self.parseDuration(line.dropFirst("#EXTINF:".count)) else {
                    problem("line \(number): \(line) is malformed or repeated (the recorder writes seconds with at most 6 decimals and no title)")
                    continue
                }
                block.durationMicros = micros
            } else if line.hasPrefix("#EXT-X-BYTERANGE:") {
                guard block.range == nil, let range = Self.parseRange(line.dropFirst("#EXT-X-BYTERANGE:".count)) else {
                    problem("line \(number): \(line) is malformed or repeated (the recorder writes LENGTH@OFFSET)"); continue
                }
                block.range = range
            } else if line == "#EXT-X-ENDLIST" {
                if !block.isEmpty { problem("line \(number): tags before #EXT-X-ENDLIST belong to no segment") }
                endList = number
            } else if line.hasPrefix("#") || line.isEmpty {
                problem("line \(number): \(line.isEmpty ? "an empty line" : line) is not a line the recorder writes; it could change playback")
            } else {
                checkSegment(line, at: number, block, byName[line], problem: problem)
                played.append((line, number))
                block = Block()
            }
        }
        if !block.isEmpty { problem("tags after the last segment belong to no segment") }
        checkOrder(played, problem: problem)
        if ended && endList == nil { problem("has no #EXT-X-ENDLIST although the manifest has its end entry") }
        if !ended, let endList { problem("line \(endList): #EXT-X-ENDLIST although the manifest has no end entry") }
    }

    /// One media URI with the tags before it, against the segment entry of that name.
    private func checkSegment(_ uri: String, at number: Int, _ block: Block, _ segment: TimelineCheck.Listed?,
                              problem: (@autoclosure () -> String) -> Void) {
        guard let segment else { return problem("line \(number) plays \(uri), which the manifest does not list") }
        let record = segment.record
        if let duration = block.durationMicros {
            // The muxer prints nanoseconds rounded to the microsecond ("%.6f"), the manifest keeps them
            // truncated: the playlist may say the same microsecond or one more, nothing else.
            if duration != record.durationMicros && duration != record.durationMicros.saturatingAdd(1) {
                problem("line \(number): #EXTINF gives \(VerificationReport.seconds(duration)) for \(uri), the manifest (line \(segment.line)) "
                    + "says \(VerificationReport.seconds(record.durationMicros))")
            }
        } else {
            problem("line \(number): \(uri) has no #EXTINF")
        }
        if let map = block.map, map.uri != uri { problem("line \(number): the #EXT-X-MAP before \(uri) points at \(map.uri)") }
        if let range = block.range {
            // The init section [0, map length) and the media [offset, end of file) together must be the whole file.
            let mediaStart = block.map?.length ?? 0
            if range.offset != mediaStart || range.offset.saturatingAdd(range.length) != record.byteLength {
                problem("line \(number): plays bytes \(range.offset)..<\(range.offset.saturatingAdd(range.length)) of \(uri), which has "
                    + "\(record.byteLength) bytes\(block.map.map { " and an init section of \($0.length)" } ?? ""): not the whole segment")
            }
        }
    }

    /// The URIs must be the manifest's segments, each once, in manifest order.
    private func checkOrder(_ played: [(name: String, line: Int)], problem: (@autoclosure () -> String) -> Void) {
        var firstLine: [String: Int] = [:]
        var order: [String] = []
        for (name, line) in played {
            if let first = firstLine[name] { problem("line \(line) plays \(name) again (first at line \(first))"); continue }
            firstLine[name] = line
            order.append(name)
        }
        var expected: [String] = []
        var seen = Set<String>()
        for segment in segments where seen.insert(segment.record.fileName).inserted {
            let name = segment.record.fileName
            if firstLine[name] == nil {
                problem("does not play \(name) (manifest line \(segment.line)): a segment was left out")
            } else {
                expected.append(name)
            }
        }
        let listed = order.filter { seen.contains($0) }
        if let position = listed.indices.first(where: { listed[$0] != expected[$0] }) {
            problem("line \(firstLine[listed[position]]!) plays \(listed[position]) where the manifest has \(expected[position]): segments reordered")
        }
    }

    private static func isHeaderTagValid(_ line: String) -> Bool {
        func number(after prefix: String) -> Bool {
            let value = line.dropFirst(prefix.count)
            return !value.isEmpty && value.count <= 9 && value.allSatisfy { $0.isASCII && $0.isNumber }
        }
        switch line {
        case "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD": return true
        case _ where line.hasPrefix("#EXT-X-VERSION:"): return number(after: "#EXT-X-VERSION:")
        case _ where line.hasPrefix("#EXT-X-TARGETDURATION:"): return number(after: "#EXT-X-TARGETDURATION:")
        default: return false
        }
    }

    /// `#EXT-X-MAP:URI="NAME",BYTERANGE="LENGTH@0"`: the init section at the start of the file.
    private static func parseMap(_ line: String) -> (uri: String, length: Int64)? {
        let prefix = #"#EXT-X-MAP:URI=""#, middle = #"",BYTERANGE=""#, suffix = #"@0""#
        guard line.hasPrefix(prefix), line.hasSuffix(suffix), let split = line.range(of: middle) else { return nil }
        let uri = String(line[line.index(line.startIndex, offsetBy: prefix.count)..<split.lowerBound])
        let length = line[split.upperBound..<line.index(line.endIndex, offsetBy: -suffix.count)]
        guard !uri.contains("\""), let value = digits(length) else { return nil }
        return (uri, value)
    }

    /// `LENGTH@OFFSET`.
    private static func parseRange(_ text: Substring) -> (length: Int64, offset: Int64)? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = digits(parts[0]), let offset = digits(parts[1]) else { return nil }
        return (length, offset)
    }

    /// `SECONDS[.FRACTION],` with at most six fraction digits, read exactly as microseconds.
    static func parseDuration(_ text: Substring) -> Int64? {
        guard text.hasSuffix(",") else { return nil }
        let parts = text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].count <= 12, let seconds = digits(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            guard (1...6).contains(parts[1].count), let value = digits(parts[1]) else { return nil }
            fraction = value * [1, 100_000, 10_000, 1_000, 100, 10, 1][parts[1].count]
        }
        return seconds * 1_000_000 + fraction
    }

    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }
}
