import Foundation
import SealrecDaemon

exit(Daemon.main(Array(CommandLine.arguments.dropFirst())))
