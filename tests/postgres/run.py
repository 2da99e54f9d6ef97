#!/usr/bin/env python3
"""The database-facing tests on a real PostgreSQL (issue #21).

Starts Debian's PostgreSQL (the newest /usr/lib/postgresql/*/bin) in a temporary directory under
target/: `initdb`, then `pg_ctl start` listening on 127.0.0.1 on a free port with its unix socket in
that directory, as the `postgres` user when run as root (initdb refuses root). Runs the Rust tests
written against both engines (`db::sql::testing::on_both_engines`, the schema comparison) with
GALLEY_TEST_POSTGRES_URL pointing at it, and checks that they ran. The server is stopped by its
PID (from postmaster.pid) whatever happens, and the directory removed.
"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from postgres import Server, SetupImpossible  # noqa: E402 (the loopback suites' PostgreSQL)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The tests that run against both engines: the SQL layer, the ported db modules, the migrations.
FILTERS = ["db::sql::", "::engines::", "db::migrate_postgres::"]
# Fewer passing tests than this means the filters no longer find them: fail rather than pass empty.
MIN_TESTS = 59
TEST_TIMEOUT_S = 900


def main():
    # A SIGTERM (test.sh's timeout, a CI cancel) still runs the atexit stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = Server(os.path.join(ROOT, "target"))
    try:
        url = server.start()
    except SetupImpossible as e:
        sys.exit(str(e))
    print(f"PostgreSQL on 127.0.0.1:{server.port} (pid {server.pid})", flush=True)
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
    print(f"{passed} tests passed on SQLite and on PostgreSQL")


if __name__ == "__main__":
    main()
