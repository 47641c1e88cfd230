import Foundation
import SealrecRoom

let usage = """
usage: sealrec COMMAND [OPTIONS]
  record   record a session into a folder of sealed segments
  keygen   make a room key pair: sealrec keygen --out DIR
  verify   check a session: sealrec verify PATH|STORE_URL [--trust PUBKEY...] [--json]
  upload   send a session to central storage: sealrec upload SESSION_DIR --to STORE_URL [--spool DIR]
  start    start recording in the room (through the daemon): [--case ID] [--participant ROLE=NAME ...]
  stop     stop and seal the room's recording
  status   the room's state: [--watch] [--json]
  mark     add a marker to the running session: mark TEXT
  grant    mint an access code (and QR) for a reviewer
  fetch    fetch a session with an access code and verify it
  revoke   revoke an access code
  grants   list a session's grants
  devices  list cameras and microphones with their stable names: sealrec devices [--json]
  help     this text; help COMMAND (or COMMAND --help) shows that command's usage
Run `sealrec --version` for the version.
"""

let argv = Array(CommandLine.arguments.dropFirst())
let rest = Array(argv.dropFirst())
let status: Int32
if let command = argv.first, Help.requested(rest), Help.show(command) { exit(0) }
switch argv.first {
case "record": status = RecordCommand.run(rest)
case "keygen": status = runKeygen(rest)
case "verify": status = runVerify(rest)
case "upload": status = runUpload(rest)
case "seal-folder": status = runSealFolder(rest)
case "start", "stop", "status", "mark": status = ControlCommands.run(argv[0], rest)
case "grant", "fetch", "revoke", "grants": status = AccessCommands.run(argv[0], rest)
case "devices": status = DevicesCommand.run(rest)
case "--version":
    print(SealrecVersion.string)
    status = 0
case "help" where rest.count == 1:
    if Help.show(rest[0]) { status = 0 } else {
        Output.error("unknown command '\(rest[0])'")
        Output.raw(usage)
        status = 2
    }
case "help", "--help", "-h", nil:
    print(usage)
    status = argv.first == nil ? 2 : 0
case let other?:
    Output.error("unknown command '\(other)'")
    Output.raw(usage)
    status = 2
}
exit(status)
