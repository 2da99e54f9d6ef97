#!/usr/bin/env python3
"""Upstream read-through cost (docs/upstreams.md), on loopback:

- restore of a cached upstream package vs a local one: the flat-container index and the .nupkg of
  a mirrored id and of a local id of the same size, N sequential GETs each (they take the same
  static-first path, so the ratio should be about 1);
- the cost of a cold fetch: the first download of K upstream packages (version list, download,
  hash, scan, store, render) against a second, warm download of the same packages.

The upstream is nginx serving a static v3 feed (as in tests/upstream/run.py). Results are printed
as a Markdown table. Knobs: GALLEY_BIN (default target/release/galley, else target/debug/galley),
BENCH_REQUESTS=500, BENCH_COLD=20, BENCH_KB=100 (package size).
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "upstream"))
import run as upstream  # noqa: E402  (the test harness's feed, server and package helpers)


def timed(base, paths, repeat):
    """Seconds per request (median of the runs) over `repeat` sequential GETs of each path."""
    times = []
    for _ in range(repeat):
        for path in paths:
            start = time.perf_counter()
            status, _ = upstream.http("GET", base + path)
            times.append(time.perf_counter() - start)
            if status != 200:
                raise SystemExit("GET %s -> %s" % (path, status))
    times.sort()
    return times[len(times) // 2]


def main():
    requests = int(os.environ.get("BENCH_REQUESTS", "500"))
    cold = int(os.environ.get("BENCH_COLD", "20"))
    size_kb = int(os.environ.get("BENCH_KB", "100"))
    release = os.path.join(ROOT, "target", "release", "galley")
    galley_bin = os.environ.get("GALLEY_BIN") or (release if os.path.exists(release) else os.path.join(ROOT, "target", "debug", "galley"))
    work = tempfile.mkdtemp(prefix="galley-bench-upstream-")
    os.chmod(work, 0o755)
    os.makedirs(upstream.LOG_DIR, exist_ok=True)
    filler = {"tools/filler.bin": os.urandom(size_kb * 1024)}
    try:
        feed = upstream.StaticFeed(work, upstream.free_port())
        feed.add("Bench.Mirrored", "1.0.0", upstream.nupkg("Bench.Mirrored", "1.0.0", extra=filler))
        for i in range(cold):
            feed.add("Bench.Cold%d" % i, "1.0.0", upstream.nupkg("Bench.Cold%d" % i, "1.0.0", extra=filler))
        feed.write()
        feed.start()
        galley = upstream.Galley(galley_bin, work, "bench-galley",
                                 '[[upstream]]\nname = "static"\nurl = "%s/index.json"\n' % feed.base)
        key = galley.user_and_key("bench")
        galley.start()
        galley.push(key, upstream.nupkg("Bench.Local", "1.0.0", extra=filler))

        cold_paths = ["/v3/flatcontainer/bench.cold%d/1.0.0/bench.cold%d.1.0.0.nupkg" % (i, i) for i in range(cold)]
        start = time.perf_counter()
        for path in cold_paths:
            if upstream.http("GET", galley.base + path)[0] != 200:
                raise SystemExit("cold fetch of %s failed" % path)
        cold_s = (time.perf_counter() - start) / cold
        warm_s = timed(galley.base, cold_paths, 1)

        upstream.http("GET", galley.base + "/v3/flatcontainer/bench.mirrored/1.0.0/bench.mirrored.1.0.0.nupkg")
        rows = []
        for label, local, mirrored in (
            ("flat-container index.json", "/v3/flatcontainer/bench.local/index.json",
             "/v3/flatcontainer/bench.mirrored/index.json"),
            ("flat-container .nupkg", "/v3/flatcontainer/bench.local/1.0.0/bench.local.1.0.0.nupkg",
             "/v3/flatcontainer/bench.mirrored/1.0.0/bench.mirrored.1.0.0.nupkg"),
        ):
            local_s = timed(galley.base, [local], requests)
            mirrored_s = timed(galley.base, [mirrored], requests)
            rows.append((label, local_s, mirrored_s))
        print("binary: %s; %d KB packages; %d requests each; %d cold packages" % (galley_bin, size_kb, requests, cold))
        print("| request | local p50 ms | mirrored (cached) p50 ms | mirrored / local |")
        print("|---|---|---|---|")
        for label, local_s, mirrored_s in rows:
            print("| %s | %.2f | %.2f | %.2f |" % (label, local_s * 1e3, mirrored_s * 1e3, mirrored_s / local_s))
        print("\n| first download (cold fetch) ms | second download ms | cold / warm |")
        print("|---|---|---|")
        print("| %.1f | %.2f | %.0f |" % (cold_s * 1e3, warm_s * 1e3, cold_s / warm_s))
    finally:
        for proc in upstream.PROCS:
            upstream.stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
