"""One tier on its own, with `run.py`'s suites: start (after a clean stop, the start-up sweep runs
while serving), time /health and the first search answer, read RSS, wait for the sweep and read RSS
again, then the search suite and, unless RESTORE=0, the restore suite against nginx, every id's index
once and the pushes.
For the 1M tier, whose full run does not fit a session on a slow disk, and for probes of one build.

  DATA=target/bench-data/200000x5 LABEL="1M versions" ANSWERS_OFF=1 python3 bench/probe.py

Knobs: GALLEY_BIN (default target/release/galley), ANSWERS_OFF=1 (answer cache off), SEARCH=0,
RESTORE=0, SWEEP_WAIT (seconds, default 1200), BENCH_SECONDS (as run.py)."""
import json
import os
import shutil
import sys
import tempfile
import time
import types
import urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as b
data = os.path.abspath(os.environ.get("DATA", os.path.join(b.ROOT, "target", "bench-data", "200000x5")))
b.GALLEY = os.environ.get("GALLEY_BIN", b.GALLEY)
label = os.environ.get("LABEL", "1M versions")
def health_json(base):
    try:
        return json.loads(urllib.request.urlopen(base + "/health", timeout=30).read())
    except Exception:
        return None
t0 = time.monotonic()
port = b.free_port(); base = f"http://127.0.0.1:{port}"
env = {**os.environ, "GALLEY_LOG": "warn"}
if os.environ.get("ANSWERS_OFF") == "1":
    env["GALLEY_CACHE__ANSWERS_MB"] = "0"
proc = b.start([b.GALLEY, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data], env=env)
b.wait_ready(base + "/health", limit=2400)
health = time.monotonic() - t0
print(f"/health after {health:.1f} s: {health_json(base)['jobs']}", flush=True)
b.get(base + "/v3/query?q=json", timeout=1800)
ready = time.monotonic() - t0
time.sleep(1)
idle = b.rss_mb(proc.pid)
print(f"search ready after {ready:.1f} s, RSS {idle:.1f} MB", flush=True)
sweep_limit = float(os.environ.get("SWEEP_WAIT", "1200"))
while time.monotonic() - t0 < sweep_limit:
    h = health_json(base)
    if h and h["jobs"]["start_up_sweep"] == "done" and h["jobs"]["documents_to_render"] == 0:
        break
    time.sleep(5)
swept = time.monotonic() - t0
time.sleep(2)
idle_swept = b.rss_mb(proc.pid)
print(f"background sweep and renders {'done' if swept < sweep_limit else 'NOT done'} after {swept:.1f} s: {health_json(base)['jobs']}; RSS then {idle_swept:.1f} MB", flush=True)
# What run.py's suites use of its `Galley`: the address, the process, the data folder, the CLI.
g = types.SimpleNamespace(base=base, proc=proc, data_dir=data, cli=lambda *args, stdin=None: b.subprocess.run(
    [b.GALLEY, *args, "--data-dir", data], input=stdin, capture_output=True, text=True))
key = b.ensure_key(g)
tag = "off" if os.environ.get("ANSWERS_OFF") == "1" else "on"
rows, peak = b.search_suite(g, label, tag) if os.environ.get("SEARCH", "1") == "1" else ([], 0.0)
for r in rows: print("SEARCH", json.dumps(r), flush=True)
if os.environ.get("RESTORE", "1") == "1":
    root = tempfile.mkdtemp(prefix="galley-nginx-root-"); os.chmod(root, 0o755)
    nginx_proc, nginx_base = b.nginx_start(root)
    for r in b.restore_suite(g, nginx_base, root, key, label): print("RESTORE", json.dumps(r), flush=True)
    print("EVERY ID", json.dumps(b.every_id_suite(g)), flush=True)
    pushes = b.push_suite(g, key, label, "/v3/flatcontainer/bench.small50k/1.0.0/bench.small50k.1.0.0.nupkg")
    for r in pushes: print("PUSH", json.dumps(r), flush=True)
    b.stop(nginx_proc); shutil.rmtree(root, ignore_errors=True)
print(json.dumps({"health": health, "ready": ready, "idle": idle, "idle_swept": idle_swept, "peak": peak, "swept": swept}), flush=True)
b.stop(proc)
