import Foundation

let usage = """
usage: sealrec COMMAND [OPTIONS]
  record   record a session into a folder of sealed segments
  help     this text
"""

let argv = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch argv.first {
case "record": status = RecordCommand.run(Array(argv.dropFirst()))
case "help", "--help", "-h", nil:
    print(usage)
    status = argv.first == nil ? 2 : 0
case let other?:
    Output.error("unknown command '\(other)'\n\(usage)")
    status = 2
}
exit(status)
