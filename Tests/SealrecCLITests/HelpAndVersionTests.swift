import Foundation
import Testing
import TestSupport

/// `--help` and `--version` behave as users of any command-line tool expect: stdout, exit 0.
@Suite struct HelpAndVersionTests {
    static let commands = ["record", "keygen", "verify", "upload", "seal-folder", "start", "stop", "status", "mark",
                           "grant", "fetch", "revoke", "grants", "devices"]

    @Test(arguments: commands)
    func commandHelpPrintsItsUsage(_ command: String) throws {
        for flag in ["--help", "-h"] {
            let r = try Run.sealrec([command, flag])
            #expect(r.status == 0, "\(command) \(flag): \(r.stderr)")
            #expect(r.stdout.hasPrefix("usage: sealrec \(command) "), "\(command) \(flag): \(r.stdout)")
            #expect(r.stderr.isEmpty, "\(command) \(flag): \(r.stderr)")
        }
        // Help wins over other arguments, and `sealrec help COMMAND` says the same.
        let late = try Run.sealrec([command, "--out", "/nonexistent", "--help"])
        #expect(late.status == 0 && late.stdout.contains("sealrec \(command) "), "\(late.stderr)")
        let viaHelp = try Run.sealrec(["help", command])
        let direct = try Run.sealrec([command, "--help"])
        #expect(viaHelp.status == 0 && viaHelp.stdout == direct.stdout)
    }

    @Test func sharedUsageBlocksShowOnlyTheAskedVerb() throws {
        let stop = try Run.sealrec(["stop", "--help"]).stdout
        #expect(!stop.contains("sealrec start") && !stop.contains("sealrec mark"), "\(stop)")
        let fetch = try Run.sealrec(["fetch", "--help"]).stdout
        #expect(fetch.contains("--from STORE") && !fetch.contains("sealrec grant ") && fetch.contains("(STORE:"), "\(fetch)")
    }

    @Test func helpListsEveryCommand() throws {
        for args in [["--help"], ["-h"], ["help"]] {
            let r = try Run.sealrec(args)
            #expect(r.status == 0, "\(args)")
            for command in Self.commands where command != "seal-folder" {
                #expect(r.stdout.contains("\n  \(command) "), "\(args) lacks \(command)")
            }
        }
        let unknown = try Run.sealrec(["help", "frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown command 'frobnicate'"))
    }

    @Test func bothProgramsPrintOneVersion() throws {
        let cli = try Run.sealrec(["--version"])
        #expect(cli.status == 0 && cli.stderr.isEmpty)
        let version = cli.stdout.trimmingCharacters(in: .newlines)
        #expect(version.wholeMatch(of: /sealrec \d+\.\d+\.\d+/) != nil, "\(version)")
        let daemonPath = URL(fileURLWithPath: Run.sealrecPath).deletingLastPathComponent().appendingPathComponent("sealrecd").path
        let daemon = try Run.tool(daemonPath, ["--version"])
        #expect(daemon.status == 0)
        #expect(daemon.stdout == "sealrecd " + version.dropFirst("sealrec ".count) + "\n", "\(daemon.stdout)")
        let daemonHelp = try Run.tool(daemonPath, ["--help"])
        #expect(daemonHelp.status == 0 && daemonHelp.stdout.contains("sealrecd --config FILE"))
    }
}
