#!/usr/bin/env python3
"""Galley benchmark suite: Galley against nginx serving the same bytes, in the same run.

Writes bench/RESULTS.md. See bench/README.md for what the figures mean.
Everything runs on loopback; every process started here is stopped by its PID.
"""
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GALLEY = os.path.join(ROOT, "target", "release", "galley")
BENCH = os.path.join(ROOT, "target", "release", "galley-bench")
DATA_ROOT = os.path.join(ROOT, "target", "bench-data")
DURATION = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32
PROCS = []


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop_all():
    for p in PROCS:
        stop(p)


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, limit=60.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            if get(url, timeout=2)[0] == 200:
                return time.monotonic() - t0
        except Exception:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {limit}s")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def ensure_tools():
    missing = [p for p, exe in (("nginx", "nginx"), ("wrk", "wrk")) if not shutil.which(exe) and not os.path.exists(f"/usr/sbin/{exe}")]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    # BENCH_NO_BUILD=1: measure the binaries already in target/release (built elsewhere, e.g. in a
    # shared target dir, and copied in) instead of letting cargo rebuild over them.
    if os.environ.get("BENCH_NO_BUILD") != "1":
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "galley", "--bin", "galley-bench"], cwd=ROOT, check=True)


def dataset(ids, per_id):
    path = os.path.join(DATA_ROOT, f"{ids}x{per_id}")
    if not os.path.exists(os.path.join(path, "complete")):
        shutil.rmtree(path, ignore_errors=True)
        log(f"generating {ids} ids x {per_id} versions into {path}")
        t0 = time.monotonic()
        subprocess.run([BENCH, "gen", "--ids", str(ids), "--versions-per-id", str(per_id), "--data-dir", path], check=True)
        log(f"  generated in {time.monotonic() - t0:.0f}s")
        open(os.path.join(path, "complete"), "w").close()
    return path


WRK_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
"""


def wrk(base, paths, connections=CONNECTIONS, seconds=DURATION, warm_up=True):
    """Runs wrk over the paths round-robin; returns req/s, p50 ms, p99 ms, non-2xx count.

    A one-second unmeasured pass first: the figures are for a server that has been running, not
    for the first touch of each database page and document after start-up."""
    if warm_up:
        wrk(base, paths, connections, 1, warm_up=False)
    with tempfile.TemporaryDirectory() as d:
        listing = os.path.join(d, "paths.txt")
        with open(listing, "w") as f:
            f.write("\n".join(paths) + "\n")
        script = os.path.join(d, "paths.lua")
        with open(script, "w") as f:
            f.write(WRK_LUA % listing)
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency(50), "p99": latency(99),
            "errors": int(errors.group(1)) if errors else 0}


class Galley:
    def __init__(self, data_dir, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        t0 = time.monotonic()
        self.proc = start([GALLEY, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", data_dir],
                          env={**os.environ, "GALLEY_LOG": "warn", **(env or {})})
        # After a crash or on a database the last clean stop did not leave, the start-up sweep
        # compares every package folder with the database before /health answers (it grows with
        # the data set); after a clean stop it runs while serving.
        wait_ready(self.base + "/health", limit=900)
        self.t0 = t0
        self.startup = time.monotonic() - t0

    def wait_background(self, limit=1800):
        """Seconds from start until the start-up sweep (run while serving after a clean stop) and
        the renders it marked are done: measuring before would measure them too (they read every
        folder of the data set). None when they ran past `limit`."""
        while time.monotonic() - self.t0 < limit:
            try:
                jobs = json.loads(get(self.base + "/health", timeout=30)[1])["jobs"]
                if jobs.get("start_up_sweep", "done") == "done" and jobs["documents_to_render"] == 0:
                    return time.monotonic() - self.t0
            except Exception:
                pass
            time.sleep(1)
        log(f"the start-up sweep was not done after {limit} s; measuring anyway")
        return None

    def cli(self, *args, stdin=None):
        return subprocess.run([GALLEY, *args, "--data-dir", self.data_dir], input=stdin, capture_output=True, text=True)

    def stop(self):
        stop(self.proc)


def nginx_start(root):
    port = free_port()
    conf_dir = tempfile.mkdtemp(prefix="galley-nginx-")
    conf = f"""
worker_processes auto;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ application/json json; application/octet-stream nupkg; application/atom+xml xml; }}
  client_body_temp_path {conf_dir}; proxy_temp_path {conf_dir}; fastcgi_temp_path {conf_dir}; uwsgi_temp_path {conf_dir}; scgi_temp_path {conf_dir};
  server {{
    listen 127.0.0.1:{port};
    root {root};
    etag on;
    # $arg_id is the raw OData literal, quotes included: the mirror files are named the same way.
    location = "/api/v2/FindPackagesById()" {{ default_type "application/atom+xml"; try_files /fpbi/$arg_id.xml =404; }}
  }}
}}
"""
    path = os.path.join(conf_dir, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = start([exe, "-c", path, "-p", conf_dir])
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except Exception:
            time.sleep(0.05)
    return proc, base


def sample_ids(data_dir, n):
    db = sqlite3.connect(os.path.join(data_dir, "galley.db"))
    rows = db.execute("SELECT id_lower FROM packages WHERE id_lower NOT LIKE 'bench.%' AND id_lower NOT LIKE 'pushbench%' ORDER BY id LIMIT ?", (n,)).fetchall()
    db.close()
    return [r[0] for r in rows]


def ensure_key(g):
    g.cli("user", "add", "bench", "--email", "bench@example.com", "--password-stdin", stdin="bench-password\n")
    out = g.cli("apikey", "create", "--user", "bench", "--name", "bench")
    return out.stdout.strip().splitlines()[-1]


def ensure_sized_package(g, key, id_, size):
    path = os.path.join(g.data_dir, f"{id_}.nupkg")
    subprocess.run([BENCH, "pack", "--id", id_, "--version", "1.0.0", "--content-bytes", str(size), "--out", path], check=True)
    body = open(path, "rb").read()
    req = urllib.request.Request(g.base + "/api/v2/package", data=body, method="PUT",
                                 headers={"X-NuGet-ApiKey": key, "Content-Type": "application/octet-stream"})
    try:
        urllib.request.urlopen(req, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
    os.remove(path)
    return f"/v3/flatcontainer/{id_.lower()}/1.0.0/{id_.lower()}.1.0.0.nupkg"


def mirror(g, root, paths, rename=None):
    """Copies Galley's answers byte for byte into nginx's root (the baseline serves the same bytes)."""
    for p in paths:
        status, body = get(g.base + p)
        target = os.path.join(root, (rename(p) if rename else p).lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(body)


def restore_suite(g, nginx_base, root, key, label):
    ids = sample_ids(g.data_dir, 300)
    small = ensure_sized_package(g, key, "Bench.Small50k", 50_000)
    big = ensure_sized_package(g, key, "Bench.Big2m", 2_000_000)
    flat = [f"/v3/flatcontainer/{i}/index.json" for i in ids]
    reg = [f"/v3/registration/{i}/index.json" for i in ids]
    # The hive NuGet clients since 4.3 read (RegistrationsBaseUrl/3.6.0): gzip bytes, sent as stored.
    reg_gz = [f"/v3/registration-gz-semver2/{i}/index.json" for i in ids]
    fpbi = [f"/api/v2/FindPackagesById()?id='{i}'&semVerLevel=2.0.0" for i in ids]
    mirror(g, root, flat + reg + reg_gz + [small, big])
    v2_ok = True
    try:
        mirror(g, root, fpbi, rename=lambda p: "/fpbi/'" + re.search(r"id='([^']+)'", p).group(1) + "'.xml")
    except Exception as e:
        v2_ok = False
        log(f"  v2 FindPackagesById not measured: {e}")
    # actix-web alone, serving a package's bytes from memory as Galley does (`galley-bench floor`):
    # what Galley's own work costs on a download is the distance to this row, what the framework
    # costs is this row's distance to nginx. Its rows fill the Galley columns.
    floors = {path: start_floor(os.path.join(root, path.lstrip("/"))) for path in (small, big)}
    scenarios = [("flat-container index.json", flat, g.base), ("50 KB .nupkg", [small], g.base),
                 ("50 KB .nupkg, actix-web alone (floor)", [small], floors[small][1]),
                 ("2 MB .nupkg", [big], g.base), ("2 MB .nupkg, actix-web alone (floor)", [big], floors[big][1]),
                 ("registration index", reg, g.base), ("registration index, gz-semver2 hive", reg_gz, g.base)]
    if v2_ok:
        scenarios.append(("v2 FindPackagesById", fpbi, g.base))
    rows = []
    for name, paths, base in scenarios:
        runs = {"galley": [], "nginx": []}
        for _ in range(2):  # interleaved: galley, nginx, galley, nginx
            runs["galley"].append(wrk(base, paths))
            runs["nginx"].append(wrk(nginx_base, paths))
        best = {k: max(v, key=lambda r: r["rps"]) for k, v in runs.items()}
        ratio = best["galley"]["rps"] / best["nginx"]["rps"] if best["nginx"]["rps"] else float("nan")
        # Each interleaved pair's own ratio: their spread says how much the figure can be trusted.
        pairs = [g["rps"] / n["rps"] if n["rps"] else float("nan") for g, n in zip(runs["galley"], runs["nginx"])]
        rows.append((label, name, best["galley"], best["nginx"], ratio, pairs))
        if best["nginx"]["errors"]:
            raise RuntimeError(f"nginx answered errors for {name}: the baseline is broken")
        log(f"  {label} {name}: galley {best['galley']['rps']:.0f} req/s, nginx {best['nginx']['rps']:.0f} req/s, ratio {ratio:.2f}"
            f" (pairs {', '.join(f'{r:.2f}' for r in pairs)}; non-2xx: galley {best['galley']['errors']}, nginx {best['nginx']['errors']})")
    for proc, _ in floors.values():
        stop(proc)
    return rows


def start_floor(path):
    """`galley-bench floor` serving the file at `path` on a free port; (process, base URL)."""
    port = free_port()
    proc = start([BENCH, "floor", "--listen", f"127.0.0.1:{port}", "--file", path])
    base = f"http://127.0.0.1:{port}"
    wait_ready(base + "/", limit=30)
    return proc, base


def every_id_suite(g, limit=None):
    """The flat-container index of every id asked for once, 8 connections: what a mirror or a
    first restore of a whole feed does. Returns the ids asked, seconds, non-200 answers and RSS
    after: every memory cache is bounded by `[cache]`, so it must not grow with the ids asked."""
    db = sqlite3.connect(os.path.join(g.data_dir, "galley.db"))
    ids = [r[0] for r in db.execute("SELECT id_lower FROM packages ORDER BY id LIMIT ?", (limit or -1,))]
    db.close()
    failed = [0]
    def ask(share):
        conn = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlsplit(g.base).port, timeout=120)
        for id_lower in share:
            conn.request("GET", f"/v3/flatcontainer/{id_lower}/index.json")
            response = conn.getresponse()
            response.read()
            failed[0] += response.status != 200
        conn.close()
    threads = [threading.Thread(target=ask, args=(ids[i::8],)) for i in range(8)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    time.sleep(1)
    return {"ids": len(ids), "seconds": elapsed, "failed": failed[0], "rss": rss_mb(g.proc.pid)}


def search_suite(g, label, answer_cache):
    ids = sample_ids(g.data_dir, 50)
    exact = [f"/v3/query?q={i}&semVerLevel=2.0.0" for i in ids]
    prefix = [f"/v3/query?q={i[:6]}" for i in ids]
    common = ["/v3/query?q=json", "/v3/query?q=http%20client", "/v3/query?q=logging&prerelease=true"]
    multi = ["/v3/query?q=azure%20storage%20blob", "/v3/query?q=json%20serializer%20async", "/v3/query?q=entity%20framework%20sql%20core"]
    # Every generated id has its company among its authors; the bench user owns the pushed ids.
    owner = ["/v3/query?q=owner:bench", "/v3/query?q=owner:bench%20json", "/v3/query?q=author:contoso%20cache"]
    tags = ["/v3/query?q=tags:json", "/v3/query?q=tags:logging%20azure", "/v3/query?q=tags:%22http%20client%22"]
    auto = [f"/v3/autocomplete?q={i[:5]}" for i in ids]
    rows = []
    rss_peak = 0.0
    classes = [("search: common word", common), ("search: exact id", exact), ("search: prefix", prefix),
               ("search: multi-word", multi), ("search: owner:/author: filter", owner), ("search: tags: filter", tags),
               ("autocomplete", auto)]
    for name, paths in classes:
        one = wrk(g.base, paths, connections=1, seconds=max(3, DURATION // 2))
        sampler_stop = threading.Event()
        peak = [0.0]
        def sample():
            while not sampler_stop.is_set():
                peak[0] = max(peak[0], rss_mb(g.proc.pid))
                time.sleep(0.2)
        t = threading.Thread(target=sample)
        t.start()
        many = wrk(g.base, paths)
        sampler_stop.set()
        t.join()
        rss_peak = max(rss_peak, peak[0])
        rows.append((label, name, answer_cache, one, many))
        log(f"  {label} {name} (answer cache {answer_cache}): p50 {one['p50']:.2f} ms, p99 {one['p99']:.2f} ms (1 conn); {many['rps']:.0f} req/s (32 conn)")
    return rows, rss_peak


# Concurrent pushers; `BENCH_PUSH_CONCURRENCY` raises it to see the group commit batch pushes.
PUSH_CONCURRENCY = os.environ.get("BENCH_PUSH_CONCURRENCY", "4")


def push_suite(g, key, label, storm_path):
    results = []
    # The push rate alone, then again while 8 connections download a package as fast as they can
    # (the download p99 during the storm is its own target).
    for name, count, size, with_storm in [("small packages", 2000, 0, False), ("100 KB packages", 500, 100_000, False),
                                          ("small packages during a download storm", 2000, 0, True)]:
        prefix = f"PushBench{int(time.time() * 1000)}"
        storm = {}
        def download_storm():
            storm.update(wrk(g.base, [storm_path], connections=8, seconds=5, warm_up=False))
        t = threading.Thread(target=download_storm) if with_storm else None
        if t:
            t.start()
        out = subprocess.run([BENCH, "push", "--url", g.base, "--key", key, "--count", str(count), "--concurrency", PUSH_CONCURRENCY,
                              "--content-bytes", str(size), "--prefix", prefix], capture_output=True, text=True, check=True)
        if t:
            t.join()
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append((label, name, r, storm.get("p99")))
        log(f"  {label} push {name}: {r['pushes_per_second']:.0f}/s, {r['created']}/{r['pushes']} created, visible in search after {r['search_visible_ms_p50']:.2f} ms (p50)")
    return results


def search_only(sizes):
    """`BENCH_ONLY=search`: only the search suite with the answer cache off, for this build and, when
    `BENCH_BASELINE` names another galley binary (an older commit's), for that one in the same run.
    Prints the rows; RESULTS.md is left alone."""
    global GALLEY
    binaries = [("this build", GALLEY)]
    if os.environ.get("BENCH_BASELINE"):
        binaries.insert(0, ("baseline", os.environ["BENCH_BASELINE"]))
    # Rounds alternate the binaries, so a slow minute on the shared machine hits both.
    rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
    rows = []
    for ids, per_id in sizes:
        label = tier_label(ids * per_id)
        data = dataset(ids, per_id)
        for round_no in range(1, rounds + 1):
            for name, binary in binaries:
                GALLEY = binary
                if name == "baseline" and os.environ.get("BENCH_BASELINE_SCHEMA8") == "1":
                    # A baseline from before the search log (schema 8) refuses this build's data
                    # set; only that table is newer (this build re-creates it from the rest).
                    db = sqlite3.connect(os.path.join(data, "galley.db"))
                    db.executescript("DROP TABLE IF EXISTS search_changes; PRAGMA user_version = 8;")
                    db.close()
                g = Galley(data, env={"GALLEY_CACHE__ANSWERS_MB": "0"})
                if name == binaries[-1][0]:
                    ensure_key(g)
                time.sleep(1)
                idle = rss_mb(g.proc.pid)
                tag = f"{name}, round {round_no}" if rounds > 1 else name
                found, peak = search_suite(g, f"{label}, {tag}", "off")
                g.stop()
                rows += found
                log(f"  {label}, {tag}: start-up {g.startup * 1000:.0f} ms, RSS idle {idle:.1f} MB, peak under search load {peak:.1f} MB")
    stop_all()
    for label, name, cache, one, many in rows:
        print(f"| {label} | {name} | {cache} | {one['p50']:.2f} | {one['p99']:.2f} | {many['rps']:.0f} | {many['p99']:.2f} |")


def schema_back_to(data, version):
    """Lets a baseline binary of schema `version` open this build's data set: drops the tables the
    newer migrations create (only migrations that add tables can be undone this way) and sets the
    schema version back. This build applies those migrations again on its next start."""
    db = sqlite3.connect(os.path.join(data, "galley.db"))
    for name in sorted(os.listdir(os.path.join(ROOT, "migrations"))):
        if name.endswith(".sql") and int(name.split("_")[0]) > version:
            with open(os.path.join(ROOT, "migrations", name)) as f:
                for table in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", f.read()):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def restore_only(sizes):
    """`BENCH_ONLY=restore`: only the restore suite (Galley and nginx interleaved), for this build
    and, when `BENCH_BASELINE` names another galley binary, for that one first, in the same run on
    the same data (`BENCH_BASELINE_SCHEMA=<n>` sets the data set's schema back to the baseline's
    first, when the newer migrations only add tables). Prints the rows; RESULTS.md is left alone."""
    global GALLEY
    binaries = [("this build", GALLEY)]
    if os.environ.get("BENCH_BASELINE"):
        binaries.insert(0, ("baseline", os.environ["BENCH_BASELINE"]))
    rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
    rows = []
    try:
        for ids, per_id in sizes:
            label = tier_label(ids * per_id)
            data = dataset(ids, per_id)
            root = tempfile.mkdtemp(prefix="galley-nginx-root-")
            os.chmod(root, 0o755)
            nginx_proc, nginx_base = nginx_start(root)
            # Rounds alternate the binaries, so a slow minute on the shared machine hits both.
            for _ in range(rounds):
                for name, binary in binaries:
                    GALLEY = binary
                    if name == "baseline" and os.environ.get("BENCH_BASELINE_SCHEMA"):
                        schema_back_to(data, int(os.environ["BENCH_BASELINE_SCHEMA"]))
                    g = Galley(data)
                    key = ensure_key(g)
                    rows += restore_suite(g, nginx_base, root, key, f"{label}, {name}")
                    g.stop()
            stop(nginx_proc)
            shutil.rmtree(root, ignore_errors=True)
    finally:
        stop_all()
    print("| data | request | Galley req/s | nginx req/s | ratio (best) | ratio per pair |")
    for label, name, g, n, ratio, pairs in rows:
        print(f"| {label} | {name} | {g['rps']:.0f} | {n['rps']:.0f} | {ratio:.2f} | {' / '.join(f'{r:.2f}' for r in pairs)} |")


def push_only():
    """`BENCH_ONLY=push`: only the push suite, for this build and, when `BENCH_BASELINE` names
    another galley binary, for that one first, each on a fresh empty data folder, rounds
    alternating the binaries. Prints the rows; RESULTS.md is left alone."""
    global GALLEY
    binaries = [("this build", GALLEY)]
    if os.environ.get("BENCH_BASELINE"):
        binaries.insert(0, ("baseline", os.environ["BENCH_BASELINE"]))
    rows = []
    try:
        for round_no in range(1, int(os.environ.get("BENCH_ROUNDS", "1")) + 1):
            for name, binary in binaries:
                GALLEY = binary
                data = tempfile.mkdtemp(prefix="galley-push-", dir=DATA_ROOT)
                g = Galley(data)
                key = ensure_key(g)
                ensure_sized_package(g, key, "bench.small50k", 50_000)
                storm_path = "/v3/flatcontainer/bench.small50k/1.0.0/bench.small50k.1.0.0.nupkg"
                rows += push_suite(g, key, f"{name}, round {round_no}, {PUSH_CONCURRENCY} pushers", storm_path)
                g.stop()
                shutil.rmtree(data, ignore_errors=True)
    finally:
        stop_all()
    print("| build | pushes | pushes/s | created | visible in search p50 ms | download p99 ms during |")
    for label, name, r, storm_p99 in rows:
        storm = f"{storm_p99:.2f}" if storm_p99 is not None else "–"
        print(f"| {label} | {name} | {r['pushes_per_second']:.0f} | {r['created']}/{r['pushes']} | {r['search_visible_ms_p50']:.2f} | {storm} |")


def main():
    ensure_tools()
    if os.environ.get("BENCH_ONLY") == "push":
        os.makedirs(DATA_ROOT, exist_ok=True)
        push_only()
        return
    if os.environ.get("BENCH_ONLY") == "restore":
        sizes = [(int(x.split("x")[0]), int(x.split("x")[1])) for x in os.environ.get("BENCH_DATASETS", "2000x5").split(",")]
        os.makedirs(DATA_ROOT, exist_ok=True)
        restore_only(sizes)
        return
    if os.environ.get("BENCH_ONLY") == "search":
        sizes = [(int(x.split("x")[0]), int(x.split("x")[1])) for x in os.environ.get("BENCH_DATASETS", "20000x5").split(",")]
        os.makedirs(DATA_ROOT, exist_ok=True)
        search_only(sizes)
        return
    os.makedirs(DATA_ROOT, exist_ok=True)
    # The 1M-version tier (200000x5) is optional: generating it takes ~40 min and ~20 GB.
    sizes = [(int(x.split("x")[0]), int(x.split("x")[1])) for x in os.environ.get("BENCH_DATASETS", "2000x5,20000x5").split(",")]
    report = {"restore": [], "search": [], "push": [], "process": [], "scale": []}
    try:
        for ids, per_id in sizes:
            label = tier_label(ids * per_id)
            data = dataset(ids, per_id)
            g = Galley(data)
            # The search index (and the entries beside it) is built in the background after
            # /health answers; a search waits for it. Timed here, and RSS read after it.
            t0 = time.monotonic()
            get(g.base + "/v3/query?q=json", timeout=900)
            search_ready = g.startup + time.monotonic() - t0
            swept = g.wait_background()
            time.sleep(1)
            idle = rss_mb(g.proc.pid)
            key = ensure_key(g)
            root = tempfile.mkdtemp(prefix="galley-nginx-root-")
            # nginx's workers drop root privileges: they must be able to read the mirror.
            os.chmod(root, 0o755)
            nginx_proc, nginx_base = nginx_start(root)
            log(f"{label}: galley started in {g.startup * 1000:.0f} ms, search ready after {search_ready:.1f} s, "
                f"start-up sweep done after {seconds(swept, 1800)} s, idle RSS {idle:.1f} MB")
            report["restore"] += restore_suite(g, nginx_base, root, key, label)
            every_id = every_id_suite(g)
            log(f"  {label}: every id's index once: {every_id}")
            rows, peak = search_suite(g, label, "on")
            report["search"] += rows
            storm_path = "/v3/flatcontainer/bench.small50k/1.0.0/bench.small50k.1.0.0.nupkg"
            pushes = push_suite(g, key, label, storm_path)
            report["push"] += pushes
            stop(nginx_proc)
            g.stop()
            # The same queries computed every time: what a query nobody asked before costs.
            cold = Galley(data, env={"GALLEY_CACHE__ANSWERS_MB": "0"})
            get(cold.base + "/v3/query?q=json", timeout=900)
            cold_swept = cold.wait_background()
            rows, cold_peak = search_suite(cold, label, "off")
            report["search"] += rows
            cold.stop()
            report["process"].append((label, g.startup, idle, max(peak, cold_peak)))
            shutil.rmtree(root, ignore_errors=True)
            check_s, reindex_s = timed_cli(g, "check"), timed_cli(g, "reindex")
            report["scale"].append({"label": label, "startup": g.startup, "restart": cold.startup,
                                    "swept": swept, "restart_swept": cold_swept,
                                    "search_ready": search_ready, "idle": idle,
                                    "peak": max(peak, cold_peak), "push": pushes[0][2]["pushes_per_second"], "every_id": every_id,
                                    "check": check_s, "reindex": reindex_s, **disk_use(data)})
            log(f"{label}: check {seconds(check_s)} s, reindex {seconds(reindex_s)} s, disk {report['scale'][-1]}")
    finally:
        stop_all()
        # Also after a failure or Ctrl-C (a long 1M tier stopped part-way): what was measured is kept.
        write_results(report)


def tier_label(versions):
    return f"{versions // 1_000_000}M versions" if versions >= 1_000_000 else f"{versions // 1000}k versions"


def timed_cli(g, command):
    """Seconds `galley <command>` takes on the data set with the server stopped (exit 0 expected),
    or None when it ran past BENCH_CLI_LIMIT seconds (default 1200) and was stopped: `check` reads
    every package file, which at 1M versions measures the disk more than Galley."""
    limit = float(os.environ.get("BENCH_CLI_LIMIT", "1200"))
    t0 = time.monotonic()
    try:
        out = subprocess.run([GALLEY, command, "--data-dir", g.data_dir], capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        log(f"galley {command} ran past {limit:.0f} s and was stopped")
        return None
    if out.returncode != 0:
        raise RuntimeError(f"galley {command} failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    return time.monotonic() - t0


def seconds(value, limit=None):
    limit = limit or float(os.environ.get("BENCH_CLI_LIMIT", "1200"))
    return f"{value:.1f}" if value is not None else f"> {limit:.0f} (stopped)"


def disk_use(data):
    """Bytes on disk (allocated blocks, as `du` counts them) per stored version: the database,
    the rendered documents, the package files, and the whole data folder."""
    db = sqlite3.connect(os.path.join(data, "galley.db"))
    versions = db.execute("SELECT COUNT(*) FROM package_versions").fetchone()[0]
    db.close()
    def du(*parts):
        paths = [os.path.join(data, p) for p in parts if os.path.exists(os.path.join(data, p))]
        if not paths:
            return 0
        out = subprocess.run(["du", "-s", "-c", "--block-size=1", *paths], capture_output=True, text=True).stdout
        return int(out.strip().splitlines()[-1].split()[0])
    everything = du(".") - du("reserved-space")
    return {"versions": versions, "db_per_version": du("galley.db", "galley.db-wal") / versions,
            "docs_per_version": du("cache") / versions, "files_per_version": du("packages") / versions,
            "disk_per_version": everything / versions}


def write_results(report):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        "# Benchmark results",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {os.cpu_count()} cores, {cpu}, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.platform()}",
        f"- commit: {commit}",
        f"- load: wrk -t1 -c{CONNECTIONS} -d{DURATION}s on loopback after a 1 s unmeasured warm-up, server and load generator on the same machine; Galley and nginx interleaved, best of 2 runs each",
        "",
        "## Restore path: Galley vs nginx serving the same bytes",
        "",
        "| data | request | Galley req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, name, g, n, ratio, _ in report["restore"]:
        lines.append(f"| {label} | {name} | {g['rps']:.0f} | {g['p50']:.2f} | {g['p99']:.2f} | {n['rps']:.0f} | {n['p50']:.2f} | {n['p99']:.2f} | {ratio:.2f} |")
    lines += ["", "## Search", "",
              "Answer cache on: the default; repeated queries are answered from memory until the index changes.",
              "Answer cache off (`[cache] answers_mb = 0`): every query is computed, as a query nobody asked before is.",
              "", "| data | query | answer cache | p50 ms (1 conn) | p99 ms (1 conn) | req/s (32 conn) | p99 ms (32 conn) |", "|---|---|---|---:|---:|---:|---:|"]
    for label, name, cache, one, many in report["search"]:
        lines.append(f"| {label} | {name} | {cache} | {one['p50']:.2f} | {one['p99']:.2f} | {many['rps']:.0f} | {many['p99']:.2f} |")
    lines += ["", "## Push (4 concurrent clients, builtin validation)", "", "| data | packages | pushes/s | created / sent | push → searchable p50 ms | max ms | download p99 ms during the storm |", "|---|---|---:|---:|---:|---:|---:|"]
    for label, name, r, storm in report["push"]:
        storm_text = f"{storm:.2f}" if storm else "–"
        lines.append(f"| {label} | {name} | {r['pushes_per_second']:.0f} | {r['created']} / {r['pushes']} | {r['search_visible_ms_p50']:.2f} | {r['search_visible_ms_max']:.2f} | {storm_text} |")
    lines += ["", "## Process", "", "| data | start-up to /health ms | RSS idle MB | RSS peak under search load MB |", "|---|---:|---:|---:|"]
    for label, startup, idle, peak in report["process"]:
        lines.append(f"| {label} | {startup * 1000:.0f} | {idle:.1f} | {peak:.1f} |")
    lines += ["", "## Scale", "",
              "Start-up to /health (the run's first start; then the restart after its clean stop, where the start-up sweep runs while serving), "
              "then to the first search answer (the index and entries built in the background); RSS idle after that; "
              "every id's flat-container index asked once (8 connections, after the restore suite) and RSS after it; "
              "`galley check` and `galley reindex` with the server stopped; disk as allocated blocks per stored version.",
              "", "| data | versions | /health s | /health s after a clean stop | sweep done s (first start / restart) | search ready s | RSS idle MB | RSS peak MB | every id once: ids/s, RSS after MB | pushes/s | check s | reindex s | database B/version | documents B/version | files B/version | disk B/version |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["scale"]:
        every = r["every_id"]
        every_text = f"{every['ids'] / every['seconds']:.0f}, {every['rss']:.1f}" + (f" ({every['failed']} not 200)" if every["failed"] else "")
        lines.append(f"| {r['label']} | {r['versions']} | {r['startup']:.2f} | {r['restart']:.2f} | {seconds(r['swept'], 1800)} / {seconds(r['restart_swept'], 1800)} | {r['search_ready']:.1f} | {r['idle']:.1f} | {r['peak']:.1f} | {every_text} | {r['push']:.0f} | "
                     f"{seconds(r['check'])} | {seconds(r['reindex'])} | {r['db_per_version']:.0f} | {r['docs_per_version']:.0f} | {r['files_per_version']:.0f} | {r['disk_per_version']:.0f} |")
    lines.append("")
    path = os.path.join(ROOT, "bench", "RESULTS.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {path}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
