import Foundation

let usage = """
usage: sealrec COMMAND [OPTIONS]
  record   record a session into a folder of sealed segments
  keygen   make a room key pair: sealrec keygen --out DIR
  verify   check a session: sealrec verify PATH [--trust PUBKEY...] [--json]
  devices  list cameras and microphones with their stable names: sealrec devices [--json]
  help     this text
"""

let argv = Array(CommandLine.arguments.dropFirst())
let rest = Array(argv.dropFirst())
let status: Int32
switch argv.first {
case "record": status = RecordCommand.run(rest)
case "keygen": status = runKeygen(rest)
case "verify": status = runVerify(rest)
case "seal-folder": status = runSealFolder(rest)
case "devices": status = DevicesCommand.run(rest)
case "help", "--help", "-h", nil:
    print(usage)
    status = argv.first == nil ? 2 : 0
case let other?:
    Output.error("unknown command '\(other)'\n\(usage)")
    status = 2
}
exit(status)
