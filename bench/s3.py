#!/usr/bin/env python3
"""Filesystem vs S3 storage on one node: push rate, download rate, and the cost of a cache miss.

Reuses the harness of tests/s3/run.py (moto's S3 server on loopback, the Galley binary of
GALLEY_BIN, default target/debug/galley). Sequential requests from one client, so the figures
compare the two backends on this machine; ratios are what to read, not absolute numbers (a
debug build, and moto is a Python server, slower than MinIO or S3).

    python3 bench/s3.py            # BENCH_PUSHES=40 BENCH_DOWNLOADS=300 BENCH_MISSES=20
"""
import importlib.util
import os
import shutil
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Importing the test harness must not leave a __pycache__ folder in tests/.
sys.dont_write_bytecode = True
spec = importlib.util.spec_from_file_location("s3tests", os.path.join(HERE, "..", "tests", "s3", "run.py"))
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)

PUSHES = int(os.environ.get("BENCH_PUSHES", "40"))
DOWNLOADS = int(os.environ.get("BENCH_DOWNLOADS", "300"))
MISSES = int(os.environ.get("BENCH_MISSES", "20"))


def timed(fn, n):
    start = time.monotonic()
    for i in range(n):
        fn(i)
    return time.monotonic() - start


def measure(suite, name, storage):
    g = t.Galley(suite.galley_bin, suite.work, name, storage)
    key = g.user_and_key("bench")
    g.start()
    packages = [t.nupkg("Bench.%s%d" % (name.replace("-", ""), i), "1.0.0") for i in range(PUSHES)]

    def push(i):
        status, body = g.push(key, packages[i])
        assert status == 201, (status, body[:200])

    push_s = timed(push, PUSHES)
    pid = "Bench.%s0" % name.replace("-", "")

    def download(_):
        status, body = g.download(pid, "1.0.0")
        assert status == 200 and body == packages[0]

    download_s = timed(download, DOWNLOADS)
    return g, PUSHES / push_s, DOWNLOADS / download_s, pid, packages


def main():
    suite = t.Suite()
    try:
        suite.start_s3()
        _, fs_push, fs_get, _, _ = measure(suite, "fs", t.storage_toml(suite.endpoint, "b", backend="filesystem"))
        s3, s3_push, s3_get, _, packages = measure(suite, "s3", t.storage_toml(suite.endpoint, "b"))
        # A fresh node with a copy of the database: every first download is a cache miss.
        fresh = t.Galley(suite.galley_bin, suite.work, "fresh", t.storage_toml(suite.endpoint, "b"))
        os.makedirs(fresh.data)
        src, dst = sqlite3.connect(os.path.join(s3.data, "galley.db")), sqlite3.connect(os.path.join(fresh.data, "galley.db"))
        src.backup(dst)
        src.close()
        dst.close()
        fresh.start()
        n = min(MISSES, len(packages))
        ids = ["Bench.s3%d" % i for i in range(n)]
        miss_s = timed(lambda i: fresh.download(ids[i], "1.0.0"), n)
        hit_s = timed(lambda i: fresh.download(ids[i], "1.0.0"), n)
        size = sum(len(p) for p in packages[:n]) // n
        print("| measure | filesystem | s3 (moto) | s3 / filesystem |")
        print("|---|---|---|---|")
        print("| pushes/s (sequential, %d packages of ~%d bytes) | %.1f | %.1f | %.2f |" % (PUSHES, size, fs_push, s3_push, s3_push / fs_push))
        print("| downloads/s (sequential, one package, cached) | %.0f | %.0f | %.2f |" % (fs_get, s3_get, s3_get / fs_get))
        print("| fresh node: first download (miss), ms | | %.1f | |" % (1000 * miss_s / n))
        print("| fresh node: second download (hit), ms | | %.1f | |" % (1000 * hit_s / n))
    finally:
        for proc in t.PROCS:
            t.stop(proc)
        shutil.rmtree(suite.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
