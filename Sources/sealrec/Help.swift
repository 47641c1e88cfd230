/// `sealrec COMMAND --help` (or `-h`) and `sealrec help COMMAND`: that command's usage on stdout,
/// exit 0, as users of any command-line tool expect. A usage mistake prints the same text on stderr.
enum Help {
    /// The usage lines of `command`, or nil for a command that does not exist.
    static func usage(of command: String) -> String? {
        switch command {
        case "record": RecordCommand.usage
        case "keygen": keygenUsage
        case "verify": verifyUsage
        case "upload": uploadUsage
        case "seal-folder": sealFolderUsage
        case "devices": DevicesCommand.usage
        case "start", "stop", "status", "mark": lines(of: command, in: ControlCommands.usage)
        case "grant", "fetch", "revoke", "grants": lines(of: command, in: AccessCommands.usage, keeping: "(STORE:")
        default: nil
        }
    }

    /// Whether the arguments after the command ask for help instead of running it.
    static func requested(_ arguments: [String]) -> Bool {
        arguments.contains("--help") || arguments.contains("-h")
    }

    /// Prints `command`'s usage on stdout; false when there is no such command.
    static func show(_ command: String) -> Bool {
        guard let text = usage(of: command) else { return false }
        print("usage: " + text)
        return true
    }

    /// The lines of a shared usage block that belong to one verb (plus a note line all share).
    private static func lines(of verb: String, in block: String, keeping note: String? = nil) -> String {
        block.split(separator: "\n").map { $0.trimmingPrefix(" ") }
            .filter { $0.hasPrefix("sealrec \(verb) ") || note.map($0.hasPrefix) == true }
            .joined(separator: "\n")
    }
}

private extension Substring {
    func trimmingPrefix(_ character: Character) -> Substring { drop { $0 == character } }
}
