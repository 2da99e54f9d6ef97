#!/usr/bin/env python3
"""Scale-out figures: the restore path and the push rate of one embedded node (SQLite and a folder),
one node on PostgreSQL + S3 (moto), and two such nodes behind nginx, each next to nginx serving the
same bytes from a folder (the physical limit, as in bench/run.py).

Reuses the multi-node suite's harness (tests/cluster/cluster.py: PostgreSQL, moto's S3 server, two
nodes, nginx round robin) and bench/run.py's wrk runner and static nginx. The Galley binary is
GALLEY_BIN (default target/debug/galley: a debug build, so read the ratios, not the req/s). Pushes:
BENCH_PUSHES small packages from 4 threads, the rate of 201s. moto is a Python server, slower than
MinIO or S3, and every push writes to it: the push rate of the S3 rows is moto's more than Galley's.

    BENCH_SECONDS=3 BENCH_PUSHES=40 python3 bench/cluster.py

GALLEY_CLUSTER_DB=sqlite puts each node on its own SQLite file (the rows then say nothing about
PostgreSQL; it only checks the script where a node cannot start on PostgreSQL).
"""
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Importing the harness and bench/run.py must not leave __pycache__ folders behind.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import cluster  # noqa: E402
from loopback import http  # noqa: E402
from packages import nupkg  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_run", os.path.join(HERE, "run.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

PUSHES = int(os.environ.get("BENCH_PUSHES", "40"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
THREADS = 4


def push_rate(node, key, base, label):
    todo = [nupkg("Bench.%s%03d" % (label, i), "1.0.0") for i in range(PUSHES)]
    lock, answers = threading.Lock(), []

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                data = todo.pop()
            status, _ = node.push(key, data, base=base)
            with lock:
                answers.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.monotonic() - started
    return answers.count(201) / elapsed, len(answers) - answers.count(201)


def restore_paths(pid):
    low = pid.lower()
    return {"flat index.json": "/v3/flatcontainer/%s/index.json" % low,
            ".nupkg": "/v3/flatcontainer/%s/1.0.0/%s.1.0.0.nupkg" % (low, low)}


def report(rows):
    """The table, also when a setup failed part-way (what was measured is still shown)."""
    print("| setup | measure | Galley | nginx (same bytes) | ratio |")
    print("|---|---|---:|---:|---:|")
    for label, name, galley, static in rows:
        if static is None:
            print("| %s | %s | %.1f | | |" % (label, name, galley))
        else:
            ratio = galley["rps"] / static["rps"] if static["rps"] else 0
            print("| %s | %s req/s (non-2xx: %d) | %.0f | %.0f | %.2f |"
                  % (label, name, galley["errors"], galley["rps"], static["rps"], ratio))


def main():
    work = tempfile.mkdtemp(prefix="galley-bench-cluster-", dir=os.path.join(ROOT, "target"))
    log_dir = os.path.join(work, "logs")
    os.makedirs(log_dir)
    engine = "sqlite" if os.environ.get("GALLEY_CLUSTER_DB") == "sqlite" else "postgres"
    c = cluster.Cluster(ROOT, work, log_dir, os.environ.get("PYTHON") or sys.executable, engine)
    rows = []
    try:
        c.start()
        embedded = cluster.Node(c.galley_bin, work, log_dir, "embedded", "", None)
        embedded_key = c.account(embedded)
        embedded.start(c.procs)
        setups = [("embedded (SQLite + folder)", embedded, embedded_key, embedded.base),
                  ("one node (%s + S3)" % ("PostgreSQL" if engine == "postgres" else "SQLite"), c.a, c.key, c.a.base),
                  ("two nodes behind nginx", c.a, c.key, c.balancer)]
        if engine == "sqlite":
            setups.pop()  # two SQLite files behind one balancer are not one feed
        nginx_root = os.path.join(work, "static")
        _, nginx_base = bench.nginx_start(nginx_root)
        for n, (label, node, key, base) in enumerate(setups):
            rate, refused = push_rate(node, key, base, "P%d" % n)
            pid = "Bench.P%d000" % n
            for name, path in restore_paths(pid).items():
                status, body = http("GET", base + path)
                if status != 200:
                    rows.append((label, "%s: answered %s, not measured" % (name, status), float("nan"), None))
                    continue
                target = os.path.join(nginx_root, path.lstrip("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(body)
                galley = bench.wrk(base, [path], seconds=SECONDS)
                static = bench.wrk(nginx_base, [path], seconds=SECONDS)
                rows.append((label, name, galley, static))
            rows.append((label, "push/s (%d threads, %d small packages; %d not 201)" % (THREADS, PUSHES, refused), rate, None))
    finally:
        report(rows)
        c.stop()
        bench.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
