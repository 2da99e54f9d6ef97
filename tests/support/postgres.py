"""A throwaway PostgreSQL for the loopback suites: Debian's newest server
(/usr/lib/postgresql/*/bin), `initdb` into a temporary directory, `pg_ctl start` on 127.0.0.1 on a
free port (its unix socket in that directory), run as Debian's `postgres` user when the suite runs
as root (initdb refuses root). Stopped by the PID in postmaster.pid (SIGINT, PostgreSQL's fast
shutdown, then SIGKILL after a bounded wait), and the directory removed, also at exit."""
import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from loopback import free_port

STOP_TIMEOUT_S = 30


class SetupImpossible(Exception):
    """No PostgreSQL installed: the suite cannot run at all."""


def binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SetupImpossible("no PostgreSQL found under /usr/lib/postgresql/*/bin (test.sh installs Debian's postgresql)")
    bin_dir = os.path.dirname(found[-1])
    return os.path.join(bin_dir, "initdb"), os.path.join(bin_dir, "pg_ctl")


def as_server_user(cmd):
    """initdb and postgres refuse to run as root: run them as Debian's `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Server:
    """`start()` answers the URL of database `postgres` for the trusted user `galley`."""

    def __init__(self, parent, max_connections=50):
        os.makedirs(parent, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="postgres-test-", dir=parent)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.max_connections = max_connections
        self.pid = None
        self.port = None
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
        options = "-p %d -h 127.0.0.1 -k %s -c fsync=off -c max_connections=%d" % (self.port, self.dir, self.max_connections)
        subprocess.run(as_server_user([pg_ctl, "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL, timeout=90)
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            self.pid = int(f.readline())
        return "postgres://galley@127.0.0.1:%d/postgres" % self.port

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def log_tail(self, lines=40):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.pid is not None:
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
