#!/usr/bin/env python3
# Crash loss with the room's default encoding (the kill test uses a small, fast picture): sealrecd
# with the embedded defaults (synthetic 1280x720 camera at x264 veryfast + microphone, 4 s segments)
# is SIGKILLed N times at random moments, restarted each time; prints the media lost per kill
# (kill time - (utc_anchor + last_good_us) of the interrupted session, sessions in link order).
# Usage: bench-kills.py BIN_DIR N WORK_DIR
import json, os, random, signal, subprocess, sys, time, datetime, glob
bin_dir = sys.argv[1]; n = int(sys.argv[2]); work = sys.argv[3]
subprocess.run(["rm", "-rf", work]); os.makedirs(work)
subprocess.run([f"{bin_dir}/sealrec", "keygen", "--out", f"{work}/k"], check=True, capture_output=True)
sock = f"{work}/control.sock"
json.dump({"segmentSeconds": 4, "daemon": {"spool": f"{work}/spool", "key": f"{work}/k/room.key", "socket": sock,
           "socketGroup": None, "reserveMegabytes": 64}}, open(f"{work}/room.json", "w"))
def launch():
    p = subprocess.Popen([f"{bin_dir}/sealrecd", "--config", f"{work}/room.json"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    for _ in range(400):
        r = subprocess.run([f"{bin_dir}/sealrec", "status", "--socket", sock], capture_output=True)
        if r.returncode == 0: return p
        time.sleep(0.05)
    raise SystemExit("daemon did not come up")
p = launch()
subprocess.run([f"{bin_dir}/sealrec", "start", "--socket", sock, "--case", "M"], check=True, capture_output=True)
kills = []
for i in range(n):
    time.sleep(random.uniform(0.6, 4.5))
    kills.append(time.time()); p.send_signal(signal.SIGKILL); p.wait()
    p = launch()
time.sleep(1)
subprocess.run([f"{bin_dir}/sealrec", "stop", "--socket", sock], capture_output=True)
p.terminate(); p.wait()
def facts(folder):
    f = {"events": []}
    for line in open(folder + "/manifest.jsonl"):
        o = json.loads(line)
        if o["type"] == "session": f["anchor"] = datetime.datetime.fromisoformat(o["utc_anchor"].replace("Z", "+00:00")).timestamp()
        if o["type"] == "end": f["last_good"] = o["last_good_us"] / 1e6
        if o["type"] == "event": f["events"].append(o["details"])
    return f
folders = {os.path.basename(d): facts(d) for d in glob.glob(f"{work}/spool/sessions/*")}
nxt = {}
first = None
for name, f in folders.items():
    link = [e for e in f["events"] if e.startswith("continues interrupted session ")]
    if link: nxt[link[0][len("continues interrupted session "):].split(";")[0]] = name
    else: first = name
chain = [first]
while chain[-1] in nxt: chain.append(nxt[chain[-1]])
losses = [kills[i] - (folders[chain[i]]["anchor"] + folders[chain[i]]["last_good"]) for i in range(len(kills))]
losses.sort()
print(f"{len(losses)} kills: lost min {losses[0]:.3f} median {losses[len(losses)//2]:.3f} max {losses[-1]:.3f} s; all: {' '.join(f'{l:.2f}' for l in losses)}")
