// Local dispatch for the seal commands only; the real main.swift comes from the pipeline branch.
import Foundation
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "keygen": exit(runKeygen(Array(arguments.dropFirst())))
case "verify": exit(runVerify(Array(arguments.dropFirst())))
case "seal-folder": exit(runSealFolder(Array(arguments.dropFirst())))
default: print("sealrec")
}
