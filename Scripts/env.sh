# Sourced by the scripts: the toolchain on PATH and the package root as the working folder.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
case ":$PATH:" in *":/opt/swift/usr/bin:"*) ;; *) [ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH" ;; esac
