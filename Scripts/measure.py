#!/usr/bin/env python3
"""Runs a command and prints its CPU seconds (user+sys, all threads and children) and peak RSS.
Used by Scripts/bench: CPU time, not wall time, is comparable on a busy 2-core machine."""
import json, resource, subprocess, sys, time

start = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": proc.returncode, "cpu": usage.ru_utime + usage.ru_stime, "wall": wall,
                  "maxrss_mb": usage.ru_maxrss / 1024, "stderr": proc.stderr.decode(errors="replace")[-500:]}))
