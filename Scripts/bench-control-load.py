#!/usr/bin/env python3
# Control-socket load during a recording: sealrecd with the embedded defaults (synthetic 1280x720
# camera, x264 veryfast, microphone, 4 s segments) records while CLIENTS clients at once send
# requests as fast as they are answered for SECONDS: status (half), marks (a quarter; every other
# one a 30,000-accent text that is 180 KB in the manifest) and bad requests (a quarter), each on a
# connection of its own. Prints requests served, refusals by kind, dropped buffers, segments sealed
# against the timeline, stop latency, the daemon's RSS at start, middle and end, and the verdict.
# Usage: bench-control-load.py BIN_DIR SECONDS CLIENTS WORK_DIR
import collections, json, os, socket, subprocess, sys, threading, time
bin_dir, seconds, clients, work = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
subprocess.run(["rm", "-rf", work]); os.makedirs(work)
subprocess.run([f"{bin_dir}/sealrec", "keygen", "--out", f"{work}/k"], check=True, capture_output=True)
sock = f"{work}/control.sock"
json.dump({"segmentSeconds": 4, "daemon": {"spool": f"{work}/spool", "key": f"{work}/k/room.key", "socket": sock,
           "socketGroup": None, "reserveMegabytes": 64}}, open(f"{work}/room.json", "w"))
log = open(f"{work}/daemon.log", "w")
daemon = subprocess.Popen([f"{bin_dir}/sealrecd", "--config", f"{work}/room.json"], stderr=log, stdout=subprocess.DEVNULL)

def request(line, timeout=60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(line.encode() + b"\n")
        data = b""
        while b"\n" not in data:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        return json.loads(data.split(b"\n")[0]) if data else {"ok": False, "error": "closed without a reply"}
    finally:
        s.close()

def cpu_seconds():
    fields = open(f"/proc/{daemon.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def rss_mb():
    for line in open(f"/proc/{daemon.pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
for _ in range(400):
    try:
        if request(json.dumps({"cmd": "status"}), 1).get("ok"): break
    except OSError: time.sleep(0.05)
else: raise SystemExit("daemon did not come up")
assert request(json.dumps({"cmd": "start"}))["ok"]
time.sleep(2)
rss = {"start": rss_mb()}
cpu_before = cpu_seconds(); load_began = time.time()

def kind(reply):
    if reply.get("ok"): return "served"
    e = reply.get("error", "")
    for prefix, name in [("mark refused: more than", "mark rate"), ("mark refused: the text takes", "mark too long"),
                         ("too many control connections", "too many connections"), ("request is not a JSON object", "bad request"),
                         ("control requests refused: more than", "busy")]:
        if e.startswith(prefix): return "refused: " + name
    if "waiting to be sealed" in e: return "refused: markers waiting"
    return "other: " + e[:80]
counts = collections.Counter(); lock = threading.Lock()
end = time.time() + seconds
hostile = "a" + "\u0301" * 30000
def client(i):
    n = 0
    while time.time() < end:
        n += 1
        r = (i + n) % 4
        line = (json.dumps({"cmd": "mark", "text": hostile if n % 2 else f"load {i}.{n}"}, ensure_ascii=False) if r == 0
                else "garbage" if r == 1 else json.dumps({"cmd": "status"}))
        try: k = kind(request(line))
        except OSError as e: k = "error: " + type(e).__name__
        with lock: counts[k] += 1
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads: t.start()
time.sleep(seconds / 2); rss["middle"] = rss_mb()
for t in threads: t.join()
cpu_load = cpu_seconds() - cpu_before; load_took = time.time() - load_began
for _ in range(200):  # the rate refuses for a moment after the flood
    status = request(json.dumps({"cmd": "status"}))
    if status.get("ok"): break
    time.sleep(0.1)
rss["end"] = rss_mb()
asked = time.time(); stopped = request(json.dumps({"cmd": "stop"})); stop_latency = time.time() - asked
daemon.terminate(); daemon.wait()
total = sum(counts.values())
print(f"control-load {clients} clients x {seconds:.0f} s during a recording: {total} requests ({total / seconds:.0f}/s)")
for k, v in sorted(counts.items()): print(f"  {k:32} {v}")
elapsed = status.get("elapsedSeconds", 0)
print(f"  dropped buffers {status.get('droppedBuffers')}; segments sealed {status.get('segmentsSealed')} at {elapsed:.1f} s "
      f"(expected {int(elapsed // 4)} closed 4 s segments)")
print(f"  stop answered in {stop_latency:.3f} s: {'verified' if stopped.get('ok') else stopped.get('error')}, "
      f"{stopped.get('segmentsSealed')} segments, {stopped.get('elapsedSeconds', 0):.1f} s")
print(f"  daemon CPU during the load: {cpu_load:.1f} s in {load_took:.1f} s ({100 * cpu_load / load_took:.0f} % of one core)")
print(f"  daemon RSS MB: start {rss['start']:.1f}, middle {rss['middle']:.1f}, end {rss['end']:.1f}")
print(f"  daemon log: {os.path.getsize(f'{work}/daemon.log')} bytes")
