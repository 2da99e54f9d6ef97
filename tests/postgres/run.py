#!/usr/bin/env python3
"""The database-facing tests on a real PostgreSQL (issue #21).

Starts Debian's PostgreSQL (the newest /usr/lib/postgresql/*/bin) in a temporary directory under
target/: `initdb`, then `pg_ctl start` listening on 127.0.0.1 on a free port with its unix socket in
that directory, as the `postgres` user when run as root (initdb refuses root). Runs the Rust tests
written against both engines (`db::sql::testing::on_both_engines`, the schema comparison) with
GALLEY_TEST_POSTGRES_URL pointing at it, and checks that they ran. Then runs the in-process API
suite (`cargo test --test api`) a second time with GALLEY_TEST_DATABASE_URL set, so that every
TestApp serves from a fresh database of its own on that server; tests that only apply to SQLite
skip themselves and are counted. Before that suite, its ignored tests of `galley migrate
--to-database` (`pg_migrate`) run with only GALLEY_TEST_POSTGRES_URL: their install is SQLite,
their destination a database of that server. The server is stopped by its PID (from
postmaster.pid) whatever happens, and the directory removed.

`run.py --only lib` or `--only api` runs one of the two steps; arguments after `--` filter the
API tests (e.g. `run.py --only api -- push`).
"""
import argparse
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from postgres import Server, SetupImpossible  # noqa: E402 (the loopback suites' PostgreSQL)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The tests that run against both engines: the SQL layer, the ported db modules, the migrations,
# and the copy of a SQLite database into PostgreSQL (`galley migrate --to-database`).
FILTERS = ["db::sql::", "::engines::", "db::migrate_postgres::", "db::to_postgres::"]
# Fewer passing tests than this means the filters no longer find them: fail rather than pass empty.
MIN_TESTS = 62
# The API suite's tests that need the server (`#[ignore]`d there): `galley migrate --to-database`.
API_FILTER = "pg_migrate"
API_MIN_TESTS = 2
TEST_TIMEOUT_S = 900
# The API suite on PostgreSQL: each test's server keeps a small pool of its own on the one
# PostgreSQL server, so the threads are bounded by its connections as much as by the 2 cores.
API_TEST_THREADS = 4
API_TIMEOUT_S = 1200


def lib_tests(server, url):
    env = dict(os.environ, GALLEY_TEST_POSTGRES_URL=url)
    env.pop("GALLEY_TEST_POSTGRES", None)
    result = subprocess.run(["cargo", "test", "--quiet", "--lib", "--", *FILTERS], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TEST_TIMEOUT_S)
    print(result.stdout)
    if result.returncode != 0:
        print("--- server log (tail)\n" + server.log_tail())
        sys.exit(f"the tests on PostgreSQL failed (exit {result.returncode})")
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", result.stdout))
    if passed < MIN_TESTS:
        sys.exit(f"only {passed} tests ran on PostgreSQL, expected at least {MIN_TESTS}: did the filters {FILTERS} go stale?")
    print(f"{passed} tests passed on SQLite and on PostgreSQL", flush=True)


def api_tests(server, url, filters):
    skips = os.path.join(server.dir, "skipped.txt")
    env = dict(os.environ, GALLEY_TEST_DATABASE_URL=url, GALLEY_TEST_SKIP_LOG=skips, GALLEY_TEST_POSTGRES="skip")
    result = subprocess.run(["cargo", "test", "--quiet", "--test", "api", "--", f"--test-threads={API_TEST_THREADS}",
                             *filters], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=API_TIMEOUT_S)
    print(result.stdout)
    skipped = []
    if os.path.exists(skips):
        with open(skips) as f:
            skipped = sorted(line.strip() for line in f if line.strip())
    if result.returncode != 0:
        print("--- server log (tail)\n" + server.log_tail())
        sys.exit(f"the API suite on PostgreSQL failed (exit {result.returncode})")
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", result.stdout))
    for line in skipped:
        print(f"  skipped on PostgreSQL: {line}")
    print(f"API suite on PostgreSQL: {passed} passed, of which {len(skipped)} skipped themselves (SQLite only)")


def migrate_tests(server, url):
    """The API suite's `#[ignore]`d tests of `galley migrate --to-database`: a SQLite install copied
    into scratch databases of this server (so GALLEY_TEST_DATABASE_URL stays unset)."""
    env = dict(os.environ, GALLEY_TEST_POSTGRES_URL=url, GALLEY_TEST_POSTGRES="skip")
    env.pop("GALLEY_TEST_DATABASE_URL", None)
    result = subprocess.run(["cargo", "test", "--quiet", "--test", "api", "--", "--ignored", API_FILTER], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TEST_TIMEOUT_S)
    print(result.stdout)
    if result.returncode != 0:
        server.print_log()
        sys.exit(f"the migrate tests on PostgreSQL failed (exit {result.returncode})")
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", result.stdout))
    if passed < API_MIN_TESTS:
        sys.exit(f"only {passed} migrate tests ran on PostgreSQL, expected {API_MIN_TESTS}: did {API_FILTER!r} go stale?")
    print(f"{passed} migrate tests passed on PostgreSQL", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["lib", "api"])
    parser.add_argument("filters", nargs="*")
    args = parser.parse_args()
    # A SIGTERM (test.sh's timeout, a CI cancel) still runs the atexit stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = Server(os.path.join(ROOT, "target"), max_connections=200)
    try:
        url = server.start()
    except SetupImpossible as e:
        sys.exit(str(e))
    print(f"PostgreSQL on 127.0.0.1:{server.port} (pid {server.pid})", flush=True)
    if args.only in (None, "lib"):
        lib_tests(server, url)
    if args.only in (None, "api"):
        if not args.filters:
            migrate_tests(server, url)
        api_tests(server, url, args.filters)


if __name__ == "__main__":
    main()
