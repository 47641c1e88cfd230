#!/usr/bin/env python3
"""Scripts/bench long: one long session recorded by `sealrec record --fast` (a synthetic camera at a
small picture size) with upload on (`--upload-to` a local folder store), so every
entry takes the real path: sealer -> manifest line -> upload queue -> store.

While it runs, samples the process's CPU time (user+sys, all threads, from /proc) and RSS against
the number of segment entries in the manifest (reading only the manifest's new bytes). Reports the
CPU time per sealed segment in the first and in the last media hour, their ratio (bar: <= 1.2), the
RSS then, and the wall time. A per-entry cost that grows with the session shows as a ratio above 1.

usage: bench-long.py BIN_DIR HOURS WORK_DIR
"""
import json, os, subprocess, sys, time

bin_dir, hours, work = sys.argv[1], float(sys.argv[2]), sys.argv[3]
segment_seconds = 4
seconds = int(hours * 3600)
window = min(3600, seconds // 4) // segment_seconds  # segments in "an hour" (a quarter of a short run)
ticks = os.sysconf("SC_CLK_TCK")

subprocess.run(["rm", "-rf", work], check=True)
os.makedirs(work)
config = {
    "segmentSeconds": segment_seconds,
    "cameras": [{"name": "cam1", "source": "synthetic", "width": 160, "height": 90, "frameRate": 25}],
    # No microphone: in --fast mode a second track runs thousands of segments ahead of the camera
    # (nothing paces sources against each other), so segments would be sealed long after they were
    # encoded and the CPU could not be put against the entries it was spent on.
    "microphones": [],
    "video": {"preset": "ultrafast"},
}
with open(f"{work}/room.json", "w") as f:
    json.dump(config, f)
subprocess.run([f"{bin_dir}/sealrec", "keygen", "--out", f"{work}/key"], check=True, stdout=subprocess.DEVNULL)

out, store = f"{work}/session", f"{work}/store"
started = time.monotonic()
proc = subprocess.Popen([f"{bin_dir}/sealrec", "record", "--config", f"{work}/room.json", "--out", out, "--fast",
                         "--duration", str(seconds), "--key", f"{work}/key/room.key",
                         "--upload-to", f"file://{store}", "--spool", f"{work}/spool", "--upload-wait", "600"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cpu_and_rss():
    with open(f"/proc/{proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return cpu, rss


samples = []  # (segments sealed, cpu s, rss MB), while recording
segments, consumed, pending, ended = 0, 0, b"", False
while proc.poll() is None:
    try:
        cpu, rss = cpu_and_rss()
        try:
            with open(f"{out}/manifest.jsonl", "rb") as f:
                f.seek(consumed)
                fresh = f.read()
        except FileNotFoundError:
            fresh = b""  # not started yet: a sample at 0 segments
        consumed += len(fresh)
        pending += fresh
        *lines, pending = pending.split(b"\n")
        segments += sum(1 for line in lines if b'"type":"segment"' in line)
        # After the end entry come the upload's wait and the verification of the whole session:
        # not per-entry cost, so not sampled.
        ended = ended or any(b'"type":"end"' in line for line in lines)
        if not ended:
            samples.append((segments, cpu, rss))
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
    time.sleep(0.2)
wall = time.monotonic() - started
stdout, stderr = proc.communicate()
if proc.returncode != 0:
    sys.exit(f"record failed ({proc.returncode}): {stderr.decode(errors='replace')[-2000:]}")


def cpu_at(n):
    """CPU seconds when the n-th segment was sealed (linear between the samples around it)."""
    for (s0, c0, _), (s1, c1, _) in zip(samples, samples[1:]):
        if s0 <= n <= s1:
            return c0 if s1 == s0 else c0 + (c1 - c0) * (n - s0) / (s1 - s0)
    raise SystemExit(f"no sample around segment {n}")


def rss_at(n):
    return next(r for s, _, r in samples if s >= n)


with open(f"{work}/samples.json", "w") as f:
    json.dump(samples, f)
total = samples[-1][0]  # the last segment sampled before the end entry
# The first segment's entry comes after the encoders are open: start-up is not per-entry cost.
first = (cpu_at(1 + window) - cpu_at(1)) / window
last = (cpu_at(total) - cpu_at(total - window)) / window
uploaded = [line for line in stdout.decode().splitlines() if line.startswith("upload to")]
label = "hour" if window * segment_seconds == 3600 else f"{window * segment_seconds} s"
print(json.dumps({"hours": hours, "segments": total, "window_segments": window,
                  "cpu_ms_per_segment_first": round(first * 1000, 3), "cpu_ms_per_segment_last": round(last * 1000, 3),
                  "ratio": round(last / first, 3), "rss_mb_first": round(rss_at(window), 1),
                  "rss_mb_last": round(samples[-1][2], 1), "wall_s": round(wall), "cpu_s": round(samples[-1][1], 1),
                  "upload": uploaded[0] if uploaded else None}))
print(f"long    {hours:g} h of 160x90 video, --fast, upload to a folder store: {total} segments in {wall:.0f} s wall; "
      f"CPU per sealed segment: first {label} {first * 1000:.2f} ms, last {label} {last * 1000:.2f} ms, "
      f"ratio {last / first:.2f} (bar <= 1.2); RSS {rss_at(window):.0f} -> {samples[-1][2]:.0f} MB; "
      f"{uploaded[0] if uploaded else 'no upload summary'}", file=sys.stderr)
sys.exit(0 if last / first <= 1.2 and uploaded and "all" in uploaded[0] else 1)
