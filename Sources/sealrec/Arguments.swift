import Foundation
import SealrecFormat

/// A command-line mistake: reported in one line with the usage, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Minimal `--flag value` / `--switch` parsing: no dependencies, strict about unknown flags.
struct Arguments {
    private var values: [String: [String]] = [:]
    private var switches: Set<String> = []
    private(set) var positional: [String] = []

    init(_ args: [String], valueFlags: Set<String>, switchFlags: Set<String> = []) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if valueFlags.contains(a) {
                guard i + 1 < args.count else { throw UsageError("\(a) needs a value") }
                values[a, default: []].append(args[i + 1])
                i += 2
            } else if switchFlags.contains(a) {
                switches.insert(a)
                i += 1
            } else if a.hasPrefix("--") {
                throw UsageError("unknown option \(a)")
            } else {
                positional.append(a)
                i += 1
            }
        }
    }

    func value(_ flag: String) -> String? { values[flag]?.last }
    func all(_ flag: String) -> [String] { values[flag] ?? [] }
    func has(_ flag: String) -> Bool { switches.contains(flag) }

    func required(_ flag: String) throws -> String {
        guard let v = value(flag) else { throw UsageError("missing \(flag)") }
        return v
    }

    func double(_ flag: String) throws -> Double? {
        guard let v = value(flag) else { return nil }
        guard let d = Double(v), d.isFinite, d > 0 else { throw UsageError("\(flag) needs a positive number of seconds, not '\(v)'") }
        return d
    }
}

/// Everything the command line prints that did not come from its own string literals goes through
/// `SafeText.escape`: a file name, key, id or server message with control characters must not move
/// the cursor or repaint a line (a fake "VERIFIED" over a failure). An error is one line, always.
enum Output {
    static func error(_ message: String) {
        raw("sealrec: \(SafeText.escape(message))")
    }

    /// Text the program wrote itself, or rendered text whose outside parts are already escaped
    /// (the verifier's report, the usage).
    static func raw(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

/// Shorthand for an outside string placed in a printed line.
func safe(_ text: some StringProtocol) -> String { SafeText.escape(text) }

/// Runs a verb and turns its errors into exit statuses: a usage mistake prints the usage and exits 2;
/// anything else prints its one-line message and exits `failureStatus`.
func runCommand(usage: String, failureStatus: Int32 = 1, _ body: () throws -> Int32) -> Int32 {
    do {
        return try body()
    } catch let e as UsageError {
        Output.error("\(e)")
        Output.raw("usage:\n\(usage)")
        return 2
    } catch {
        Output.error("\(error)")
        return failureStatus
    }
}
