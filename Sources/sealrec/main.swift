import Foundation

let usage = """
usage: sealrec COMMAND [OPTIONS]
  record   record a session into a folder of sealed segments
  keygen   make a room key pair: sealrec keygen --out DIR
  verify   check a session: sealrec verify PATH|STORE_URL [--trust PUBKEY...] [--json]
  upload   send a session to central storage: sealrec upload SESSION_DIR --to STORE_URL [--spool DIR]
  help     this text
"""

let argv = Array(CommandLine.arguments.dropFirst())
let rest = Array(argv.dropFirst())
let status: Int32
switch argv.first {
case "record": status = RecordCommand.run(rest)
case "keygen": status = runKeygen(rest)
case "verify": status = runVerify(rest)
case "upload": status = runUpload(rest)
case "seal-folder": status = runSealFolder(rest)
case "help", "--help", "-h", nil:
    print(usage)
    status = argv.first == nil ? 2 : 0
case let other?:
    Output.error("unknown command '\(other)'\n\(usage)")
    status = 2
}
exit(status)
