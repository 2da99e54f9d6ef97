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
import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

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
STOP_TIMEOUT_S = 30


def binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        sys.exit("no PostgreSQL found under /usr/lib/postgresql/*/bin (test.sh installs Debian's postgresql)")
    bin_dir = os.path.dirname(found[-1])
    return os.path.join(bin_dir, "initdb"), os.path.join(bin_dir, "pg_ctl")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(cmd):
    """initdb and postgres refuse to run as root: run them as Debian's `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Server:
    def __init__(self):
        os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="postgres-test-", dir=os.path.join(ROOT, "target"))
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.pid = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        atexit.register(self.stop)

    def start(self):
        initdb, pg_ctl = binaries()
        subprocess.run(
            as_server_user([initdb, "-D", self.data, "-U", "galley", "--auth=trust", "-E", "UTF8",
                            "--locale=C", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL, timeout=120)
        self.port = free_port()
        # fsync off: a test database need not survive a power loss, and the shared machine's disk is slow.
        options = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=200"
        subprocess.run(as_server_user([pg_ctl, "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL, timeout=90)
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            self.pid = int(f.readline())
        return f"postgres://galley@127.0.0.1:{self.port}/postgres"

    def print_log(self):
        with open(self.log) as f:
            print("--- server log (tail)\n" + "".join(f.readlines()[-40:]))

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self):
        if self.pid is not None:
            # SIGINT is PostgreSQL's fast shutdown: sessions are ended, then the server exits.
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.alive():
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


def lib_tests(server, url):
    env = dict(os.environ, GALLEY_TEST_POSTGRES_URL=url)
    env.pop("GALLEY_TEST_POSTGRES", None)
    result = subprocess.run(["cargo", "test", "--quiet", "--lib", "--", *FILTERS], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TEST_TIMEOUT_S)
    print(result.stdout)
    if result.returncode != 0:
        server.print_log()
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
        server.print_log()
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
    server = Server()
    url = server.start()
    print(f"PostgreSQL on 127.0.0.1:{server.port} (pid {server.pid})", flush=True)
    if args.only in (None, "lib"):
        lib_tests(server, url)
    if args.only in (None, "api"):
        if not args.filters:
            migrate_tests(server, url)
        api_tests(server, url, args.filters)


if __name__ == "__main__":
    main()
