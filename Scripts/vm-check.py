#!/usr/bin/env python3
"""Checks, on the host, what Scripts/vm-guest recorded inside the VM from the real drivers.
Independent tools only: sealrec verify (the reviewer's verifier), ffprobe/ffmpeg, sox.
Prints one PASS/FAIL line per check plus the measured figures; exit status 1 if any check failed.
    vm-check.py RESULTS SEALREC PUBKEY [STEP...]"""
import array, json, math, os, re, subprocess, sys

out, sealrec, pub = sys.argv[1:4]
steps = sys.argv[4:] or "devices yuyv nv12 badconfig disconnect fatal dropped aloop-unbind overrun drift".split()
failures = []

def check(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
    if not ok:
        failures.append(name)

def read(path):
    try:
        with open(os.path.join(out, path)) as f:
            return f.read()
    except OSError:
        return ""

def run(*args):
    return subprocess.run(args, capture_output=True, text=True)

def events(session):
    lines = [json.loads(l) for l in read(f"{session}/manifest.jsonl").splitlines() if l.strip()]
    return [l for l in lines if l.get("type") == "event"]

def probe(session):
    r = run("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height,r_frame_rate,sample_rate",
            "-of", "json", os.path.join(out, session, "index.m3u8"))
    return json.loads(r.stdout or "{}").get("streams", [])

def video_frames(session):
    r = run("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
            "stream=nb_read_packets", "-of", "csv=p=0", os.path.join(out, session, "index.m3u8"))
    # The playlist's program and its stream both report the count: the first is enough.
    return int((r.stdout.split() or ["0"])[0])

decoded = {}

def pcm(session):
    """The session's audio as ffmpeg decodes the playlist: mono 16-bit 48 kHz (decoded once per session)."""
    if session not in decoded:
        decoded[session] = run_bytes("ffmpeg", "-v", "error", "-i", os.path.join(out, session, "index.m3u8"), "-map", "0:a",
                                     "-ac", "1", "-ar", "48000", "-f", "s16le", "-")
    return decoded[session]

def tone(session, start=0.5, seconds=4):
    """Frequency and RMS of the recorded audio (sox's own analysis of ffmpeg's decode)."""
    r = subprocess.run(["sox", "-t", "raw", "-r", "48000", "-e", "signed", "-b", "16", "-c", "1", "-", "-n",
                        "trim", str(start), str(seconds), "stat"], input=pcm(session), capture_output=True)
    text = r.stderr.decode()
    get = lambda key: float(re.search(key + r":\s+(-?[\d.]+)", text).group(1)) if re.search(key, text) else float("nan")
    return get("Rough   frequency"), get("RMS     amplitude")

def tone_rate_ppm(session, start=12.0, window=0.5, hz=1000, rate=48000):  # rate: what pcm() decodes to
    """How far the recorded tone's clock is off the recording's timeline, in ppm: the playback's
    1 kHz sine, as recorded, is 1 kHz of the sound card's clock; stretched onto CLOCK_MONOTONIC it
    reads 1 kHz * (1 + ppm). Its phase in half-second windows, unwrapped, regressed on time; from
    12 s on, once the recorder's correction has settled (it closes a quarter of the offset a second)."""
    x = array.array("h")
    samples = pcm(session)
    x.frombytes(samples[:len(samples) // 2 * 2])
    period = rate // hz  # 48 samples: a whole number, so one table of phases serves every window
    cos = [math.cos(2 * math.pi * i / period) for i in range(period)]
    sin = [math.sin(2 * math.pi * i / period) for i in range(period)]
    n = int(window * rate)
    times, phases = [], []
    for s in range(int(start * rate), len(x) - n - rate, n):
        chunk = x[s:s + n]
        sums = [sum(chunk[(p - s) % period::period]) for p in range(period)]
        phase = math.atan2(-sum(a * b for a, b in zip(sums, sin)), sum(a * b for a, b in zip(sums, cos)))
        if phases:  # a window moves the phase by far less than half a turn below 1000 ppm
            phase += 2 * math.pi * round((phases[-1] - phase) / (2 * math.pi))
        times.append(s / rate)
        phases.append(phase)
    if len(times) < 4:
        return float("nan")
    mt, mp = sum(times) / len(times), sum(phases) / len(phases)
    slope = sum((t - mt) * (p - mp) for t, p in zip(times, phases)) / sum((t - mt) ** 2 for t in times)
    return slope / (2 * math.pi) / hz * 1e6

def run_bytes(*args):
    return subprocess.run(args, capture_output=True).stdout

def verified(session):
    r = run(sealrec, "verify", os.path.join(out, session), "--trust", pub)
    return r.returncode == 0, (r.stdout.splitlines() or ["(no output)"])[0]

def session_ok(session, seconds):
    check(f"{session}: record exited 0", read(f"{session}.status").strip() == "0",
          read(f"{session}.record.err").strip()[-300:])
    ok, line = verified(session)
    check(f"{session}: sealrec verify", ok, line)
    streams = probe(session)
    v = next((s for s in streams if s.get("codec_type") == "video"), {})
    check(f"{session}: ffprobe shows the camera's size and rate", (v.get("width"), v.get("height"), v.get("r_frame_rate")) == (320, 180, "25/1"),
          f"{v.get('width')}x{v.get('height')} @ {v.get('r_frame_rate')}")
    a = next((s for s in streams if s.get("codec_type") == "audio"), {})
    check(f"{session}: audio track at 48 kHz", a.get("sample_rate") == "48000", str(a.get("sample_rate")))
    return v

def gaps(session, source):
    return [e for e in events(session) if e.get("kind") == "device_gap" and e.get("source") == source]

def gap_text(gs):
    return ", ".join(f"{g['gap_start_us'] / 1e6:.3f} s + {g['gap_duration_us'] / 1e3:.0f} ms" for g in gs)

for step in steps:
    if step == "devices":
        text = read("devices.txt")
        check("devices: lists the vivid camera", "/dev/video0  vivid" in text and '"pixelFormat": "yuyv422"' in text)
        check("devices: lists the loopback capture device", "hw:CARD=Loopback,DEV=1" in text)
        try:
            inv = json.loads(read("devices.json"))
            cam = inv["cameras"][0]
            yuyv = next(f for f in cam["formats"] if f["fourcc"] == "YUYV")
            s320 = next(s for s in yuyv["sizes"] if (s["width"], s["height"]) == (320, 180))
            mic = next(m for m in inv["microphones"] if m["pcm"] == "hw:CARD=Loopback,DEV=1")
            ctrl = {c["name"] for c in cam["controls"]}
            check("devices --json: formats, sizes, rates, controls, microphone rates",
                  cam["driver"] == "vivid" and 25 in s320["frameRates"] and "brightness" in ctrl and 48000 in mic["rates"]
                  and mic["maxChannels"] >= 2, f"{len(cam['formats'])} formats, {len(ctrl)} controls, mic rates {mic['rates']}")
        except (ValueError, KeyError, StopIteration, IndexError) as e:
            check("devices --json: formats, sizes, rates, controls, microphone rates", False, repr(e))
    elif step in ("yuyv", "nv12"):
        session_ok(step, 6)
        frames = video_frames(step)
        # Under emulation on a busy host vivid itself drops frames; each one must then be in the chain.
        declared = sum(int(m.group(1)) for e in events(step) if e.get("kind") == "dropped_frames" and e.get("source") == "cam"
                       for m in [re.match(r"(\d+) buffer", e.get("details", ""))] if m)
        check(f"{step}: about 6 s of 25 fps pictures, every missing one declared", frames <= 151 and frames + declared >= 140,
              f"{frames} frames, {declared} declared dropped")
        hz, rms = tone(step)
        check(f"{step}: the 1 kHz tone at amplitude 0.5 (RMS 0.354)", abs(hz - 1000) <= 10 and abs(rms - 0.3536) <= 0.02,
              f"{hz:.0f} Hz, RMS {rms:.4f}")
    elif step == "badconfig":
        err = read("badformat.err")
        check("bad format: fails naming the device and what it supports",
              read("badformat.status").strip() != "0" and "/dev/video0" in err and "it supports" in err and "YUYV (yuyv422)" in err,
              err.strip()[:160])
        err = read("badpath.err")
        check("bad path: fails naming the device", read("badpath.status").strip() != "0" and "/dev/video9" in err, err.strip()[:160])
        err = read("badrate.err")
        check("bad rate: fails naming the device and its rates",
              read("badrate.status").strip() != "0" and "7 fps" in err and "320x180@" in err, err.strip()[:160])
    elif step in ("disconnect", "fatal", "aloop-unbind", "overrun", "dropped"):
        session = {"aloop-unbind": "unbind"}.get(step, step)
        session_ok(session, 0)
        source = "mic" if step in ("aloop-unbind", "overrun") else "cam"
        if step == "dropped":
            drops = [e for e in events(session) if e.get("kind") == "dropped_frames" and "driver dropped" in e.get("details", "")]
            check("dropped: the driver's dropped buffers are counted in the chain", len(drops) >= 1,
                  "; ".join(e["details"] for e in drops[:3]))
            continue
        gs = gaps(session, source)
        check(f"{session}: the gap is declared with its length", len(gs) >= 1 and all(g["gap_duration_us"] > 0 for g in gs),
              gap_text(gs) + ("; " + gs[0]["details"][:120] if gs else ""))
        if step == "overrun":
            check("overrun: the microphone's lost samples are counted", len(gs) >= 1 and "samples lost" in gs[0]["details"])
            cam = [e for e in events(session) if e.get("kind") == "dropped_frames" and e.get("source") == "cam"]
            check("overrun: the camera's frames lost in the stall are counted", len(cam) >= 1,
                  "; ".join(e["details"] for e in cam[:2]))
        else:
            # The device came back: media continues after the gap.
            last_end = max(g["gap_start_us"] + g["gap_duration_us"] for g in gs) / 1e6 if gs else 1e9
            streams_end = run("ffprobe", "-v", "error", "-select_streams", "v:0" if source == "cam" else "a:0",
                              "-show_entries", "packet=pts_time", "-of", "csv=p=0", os.path.join(out, session, "index.m3u8")).stdout.split()
            last_pts = max((float(x) for x in streams_end if x.strip()), default=0)
            check(f"{session}: the device came back by itself (media after the gap)", last_pts > last_end + 0.5,
                  f"gap ends {last_end:.2f} s, last {source} packet {last_pts:.2f} s")

    elif step == "drift":
        for name, sign in (("drift-fast", 1), ("drift-slow", -1)):
            session_ok(name, 0)
            clock = [e for e in events(name) if e.get("source") == "mic" and "ppm against CLOCK_MONOTONIC" in e.get("details", "")]
            m = re.search(r"clock ([+-][\d.]+) ppm.*?(-?[\d.]+) ms corrected.*?offset (-?[\d.]+) ms at start, (-?[\d.]+) ms at end",
                          clock[0]["details"]) if clock else None
            if not m:
                check(f"{name}: clock correction recorded", False, "no clock event")
                continue
            ppm, corrected, start, end = (float(x) for x in m.groups())
            seconds = clock[0]["at_us"] / 1e6
            # The loopback is set 100 ppm off, but under emulation its timer really runs anywhere from
            # about 100 to 140 ppm off (a loaded CI guest measured +138 and -114): so the truth is taken
            # from the media, the recorded 1 kHz tone's phase against the timeline, and the recorder's
            # own estimate must agree with it. Uncorrected, the tone would read 0 ppm.
            media = tone_rate_ppm(name)
            check(f"{name}: the recorded tone shows the microphone's clock {'fast' if sign > 0 else 'slow'} against CLOCK_MONOTONIC",
                  50 <= sign * media <= 250, f"{media:+.1f} ppm (loopback set to {sign * 100:+d} ppm)")
            check(f"{name}: the recorder's clock estimate matches the recorded tone", abs(ppm - media) <= 15,
                  f"estimate {ppm:+.1f} ppm, tone {media:+.1f} ppm, over {seconds:.0f} s")
            check(f"{name}: A/V offset at the end within 20 ms of the start", abs(end - start) <= 20,
                  f"start {start:+.1f} ms, end {end:+.1f} ms, {corrected:+.1f} ms corrected (uncorrected at 10 min: {ppm * 600 / 1000:+.0f} ms)")
            hz, rms = tone(name, start=1, seconds=seconds - 2)
            check(f"{name}: the tone is still 1 kHz at the same level after correction", abs(hz - 1000) <= 10 and abs(rms - 0.3536) <= 0.02,
                  f"{hz:.0f} Hz, RMS {rms:.4f}")

print(f"{len(failures)} failed" if failures else "all checks passed")
sys.exit(1 if failures else 0)
