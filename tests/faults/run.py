#!/usr/bin/env python3
"""Crash-and-fault suite: the built `galley` binary under SIGKILL, a full disk, a read-only data
folder, and a backup taken during pushes then restored. Each part prints its figures and checks
what a client was promised:

  kill      >= FAULT_KILLS (50) SIGKILLs at random moments under 4 concurrent pushers (bounded
            to FAULT_KILL_SECONDS, 180): every acknowledged push is downloadable byte for byte and
            found by search, no version folder lacks a row after the start-up sweep, SQLite's
            integrity_check says ok, SIGTERM during the post-crash re-render leaves the clean-stop
            marker, `galley check` finds nothing.
  full-disk a 24 MB tmpfs mounted and unmounted by the test: pushes answer 201 or 507 (never
            500), a refused push leaves no row and no file, and pushes again after space is freed.
  read-only the data folder's tmpfs remounted read-only: pushes answer 503, reads still work,
            /health says read-only; remounted read-write, pushes work again.
  backup    `galley backup` during a push storm, `galley restore` into a new folder: the restored
            server answers every snapshot version exactly as the original does.

The mount-based parts need root (CI runs as root); without it they are reported as skipped.
Only loopback is used; every process started here is stopped by its PID.

Environment: GALLEY_BIN (default <repo>/target/debug/galley), PARTS (comma list, default all),
FAULT_KILLS, FAULT_KILL_SECONDS, KEEP_TMP=1.
"""
import base64
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import free_port  # noqa: E402 (the shared helpers of the loopback suites)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GALLEY = os.environ.get("GALLEY_BIN") or os.path.join(ROOT, "target", "debug", "galley")
KILLS = int(os.environ.get("FAULT_KILLS", "50"))
KILL_SECONDS = float(os.environ.get("FAULT_KILL_SECONDS", "180"))
DISK_FULL = "The server is out of disk space, so nothing was stored. Try again after an administrator has freed space."
READ_ONLY = ("The server cannot store anything now: its data folder is read-only. "
             "Try again after an administrator has fixed it.")


class Fail(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Fail(message)


def galley_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLEY_")}
    env["GALLEY_LOG"] = "info"
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def nupkg(pid, version, payload):
    nuspec = ('<?xml version="1.0" encoding="utf-8"?>\n'
              '<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>'
              '<id>%s</id><version>%s</version><authors>Fault Suite</authors>'
              '<description>Package %s</description></metadata></package>' % (pid, version, pid))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("%s.nuspec" % pid, nuspec)
        z.writestr("lib/net6.0/_._", b"")
        z.writestr("content/payload.bin", payload)
    return buf.getvalue()


def request(method, url, body=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def push(base, key, data, timeout=30):
    boundary = uuid.uuid4().hex
    body = (b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="package"; filename="p.nupkg"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--" + boundary.encode() + b"--\r\n")
    status, text = request("PUT", base + "/api/v2/package/", body, {
        "X-NuGet-ApiKey": key, "Content-Type": "multipart/form-data; boundary=" + boundary}, timeout)
    return status, text.decode("utf-8", "replace")


def download(base, pid, version):
    lid, lver = pid.lower(), version.lower()
    return request("GET", "%s/v3/flatcontainer/%s/%s/%s.%s.nupkg" % (base, lid, lver, lid, lver))


def searchable(base, pid, version):
    status, body = request("GET", "%s/v3/query?q=%s&prerelease=true&take=5" % (base, pid))
    if status != 200:
        return False
    for hit in json.loads(body)["data"]:
        if hit["id"].lower() == pid.lower():
            return any(v["version"] == version for v in hit["versions"])
    return False


# Every server started and not yet stopped: a part that fails midway leaves its servers here, and
# `main` stops them by their PIDs before the next part.
RUNNING = []


def stop_leftovers():
    while RUNNING:
        server = RUNNING.pop()
        if server.proc and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


class Server:
    """One `galley serve` process on a loopback port; stopped by its PID."""

    def __init__(self, data_dir, log_path, env=None):
        self.data_dir, self.log_path, self.env = data_dir, log_path, env or {}
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.offset = self.log.tell()
        self.proc = subprocess.Popen([GALLEY, "serve", "--listen", "127.0.0.1:%d" % self.port, "--data-dir", self.data_dir],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=galley_env(self.env))
        RUNNING.append(self)
        if wait:
            self.wait_ready()

    def wait_ready(self, limit=60):
        for _ in range(int(limit / 0.05)):
            check(self.proc.poll() is None, "galley serve exited with %s; see %s" % (self.proc.returncode, self.log_path))
            try:
                status, _ = request("GET", self.base + "/health", timeout=2)
                if status in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise Fail("the server did not answer /health within %ds" % limit)

    def lines_since_start(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", "replace")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self, limit=60):
        """SIGTERM; returns the seconds it took to exit."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("galley serve did not stop within %ds of SIGTERM" % limit)
        finally:
            self.log.close()
        return time.monotonic() - began


def galley(args, data_dir=None, stdin=""):
    cmd = [GALLEY] + args + (["--data-dir", data_dir] if data_dir else [])
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300, env=galley_env())


def make_user_and_key(data_dir):
    p = galley(["user", "add", "faults", "--email", "faults@example.com", "--password-stdin"], data_dir, "fault-suite-pw\n")
    check(p.returncode == 0, "user add: %s" % p.stderr)
    p = galley(["apikey", "create", "--user", "faults", "--name", "ci"], data_dir)
    check(p.returncode == 0, "apikey create: %s" % p.stderr)
    return p.stdout.strip().splitlines()[-1]


def db_rows(data_dir):
    """(id_lower, version_lower) -> status, read-only."""
    conn = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "galley.db"), uri=True, timeout=30)
    try:
        return {(i, v): s for i, v, s in conn.execute(
            "SELECT p.id_lower, v.version_lower, v.status FROM package_versions v JOIN packages p ON p.id = v.package_key")}
    finally:
        conn.close()


def integrity(data_dir):
    conn = sqlite3.connect(os.path.join(data_dir, "galley.db"), timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def version_folders(data_dir):
    root = os.path.join(data_dir, "packages")
    found = set()
    for pid in os.listdir(root) if os.path.isdir(root) else []:
        for ver in os.listdir(os.path.join(root, pid)):
            found.add((pid, ver))
    return found


def orphans(data_dir):
    rows = db_rows(data_dir)
    return sorted(k for k in version_folders(data_dir) if rows.get(k, "failed") == "failed")


def swept_count(log_text):
    """Orphans the start-up sweep moved aside, from its log line."""
    total = 0
    for line in log_text.splitlines():
        if "start-up sweep done" in line and "orphan version folders moved" in line:
            words = line.split("report=")[-1].split()
            total += int(words[0].strip('"'))
    return total


class Pushers:
    """`n` threads pushing new id+versions until stopped; records what was acknowledged."""

    def __init__(self, base_fn, key, n, prefix, size=(512, 8192)):
        self.base_fn, self.key, self.prefix, self.size = base_fn, key, prefix, size
        self.acked, self.unknown, self.refused = {}, {}, []
        self.lock = threading.Lock()
        self.counters = [0] * n
        self.stop_event = threading.Event()
        self.threads = []
        self.n = n

    def start(self):
        self.stop_event.clear()
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True) for t in range(self.n)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)

    def run(self, t):
        while not self.stop_event.is_set():
            n = self.counters[t]
            self.counters[t] += 1
            pid, version = "%s.T%d.G%d" % (self.prefix, t, n // 4), "1.0.%d" % (n % 4)
            data = nupkg(pid, version, os.urandom(random.randint(*self.size)))
            try:
                status, text = push(self.base_fn(), self.key, data, timeout=20)
            except OSError:
                with self.lock:
                    self.unknown[(pid, version)] = data
                time.sleep(0.02)
                continue
            with self.lock:
                if status == 201:
                    self.acked[(pid, version)] = data
                else:
                    self.refused.append((pid, version, status, text))
                    self.unknown[(pid, version)] = data


def verify_acked(base, acked):
    bad = []
    for (pid, version), data in acked.items():
        status, body = download(base, pid, version)
        if status != 200 or hashlib.sha256(body).digest() != hashlib.sha256(data).digest():
            bad.append("%s %s: download %d" % (pid, version, status))
        elif not searchable(base, pid, version):
            bad.append("%s %s: not found by search" % (pid, version))
    return bad


# --------------------------------------------------------------------------------------- parts

def part_kill(work):
    data = os.path.join(work, "kill-data")
    log = os.path.join(work, "kill-server.log")
    key = make_user_and_key(data)
    server = Server(data, log)
    pushers = Pushers(lambda: server.base, key, 4, "Kill")
    kills, swept, began = 0, 0, time.monotonic()
    while kills < KILLS and time.monotonic() - began < KILL_SECONDS:
        server.start()
        swept += swept_count(server.lines_since_start())
        pushers.start()
        time.sleep(random.uniform(0.05, 1.2))
        server.kill()
        kills += 1
        pushers.stop()
    check(kills >= KILLS, "only %d SIGKILLs in %ds" % (kills, KILL_SECONDS))

    # SIGTERM right after a crash, while every id is being rendered again.
    server.start(wait=False)
    server.wait_ready()
    term_seconds = server.stop()
    swept += swept_count(server.lines_since_start())
    check(os.path.exists(os.path.join(data, "cache", ".flushed")),
          "SIGTERM during the post-crash re-render left no clean-stop marker")
    server.start()
    text = server.lines_since_start()
    swept += swept_count(text)
    check("rendering the ids it wrote again" not in text, "the start after a SIGTERM rendered documents again")
    check("sweeping before serving" not in text and "start-up sweep done" not in text.split("galley is serving")[0],
          "the start after a SIGTERM swept before serving")

    # Unacknowledged pushes (the connection died with the server) are pushed again: either their
    # row was committed (409, and a row exists) or they are accepted now, never blocked by files.
    rows = db_rows(data)
    again_ok = again_committed = 0
    for (pid, version), pkg in sorted(pushers.unknown.items()):
        status, text = push(server.base, key, pkg)
        committed = (pid.lower(), version) in rows
        if status == 201:
            pushers.acked[(pid, version)] = pkg
            again_ok += 1
        elif status == 409 and committed:
            again_committed += 1
        else:
            raise Fail("re-push of unacknowledged %s %s answered %d %s (row: %s)" % (pid, version, status, text, committed))
    bad = verify_acked(server.base, pushers.acked)
    check(not bad, "acknowledged pushes lost: %s" % bad[:5])
    # The background re-render (and, after the clean stop above, the start-up sweep, which then
    # runs while serving) finishes (bounded) before the folders and documents are compared.
    for _ in range(600):
        jobs = json.loads(request("GET", server.base + "/health")[1])["jobs"]
        if jobs["documents_to_render"] == 0 and jobs["start_up_sweep"] == "done":
            break
        time.sleep(0.5)
    left = orphans(data)
    server.stop()
    check(not left, "version folders without a row after the start-up sweep: %s" % left[:5])
    ok = integrity(data)
    check(ok == "ok", "integrity_check: %s" % ok)
    p = galley(["check"], data)
    check(p.returncode == 0, "galley check after the kill loop: %s %s" % (p.stdout, p.stderr))
    lost_found = os.path.join(data, "lost+found")
    in_lost_found = 0
    for stamp in os.listdir(lost_found) if os.path.isdir(lost_found) else []:
        for area in os.listdir(os.path.join(lost_found, stamp)):
            for pid in os.listdir(os.path.join(lost_found, stamp, area)):
                in_lost_found += len(os.listdir(os.path.join(lost_found, stamp, area, pid)))
    print("kill: %d SIGKILLs survived in %.0fs; %d acknowledged pushes verified byte for byte and by search; "
          "%d unacknowledged pushes re-pushed (%d accepted, %d had committed); %d orphan folders swept to lost+found "
          "at start-up (%d version folders there), 0 left; integrity_check %s; SIGTERM during the re-render exited in %.1fs "
          "and kept the clean-stop marker; galley check clean"
          % (kills, time.monotonic() - began, len(pushers.acked), len(pushers.unknown), again_ok, again_committed,
             swept, in_lost_found, ok, term_seconds))


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], check=False, stderr=subprocess.DEVNULL)


def part_full_disk(work):
    mnt = os.path.join(work, "full-disk")
    mount_tmpfs(mnt, "24m")
    try:
        data = os.path.join(mnt, "data")
        key = make_user_and_key(data)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (8 * 1024 * 1024))
        # min_free_mb = 0: the refusals below come from writes that really failed.
        server = Server(data, os.path.join(work, "full-disk-server.log"), {"GALLEY_STORAGE__MIN_FREE_MB": "0"})
        server.start()
        ok, refused, other, streak = {}, {}, [], 0
        for i in range(120):
            # Varied sizes: some pass the free-space check and then fail mid-write.
            pkg = nupkg("Full.Lib", "1.0.%d" % i, os.urandom(random.randint(20, 900) * 1024))
            status, text = push(server.base, key, pkg)
            if status == 201:
                ok[("Full.Lib", "1.0.%d" % i)] = pkg
                streak = 0
            elif status == 507:
                check(text == DISK_FULL, "507 with %r" % text)
                refused[("Full.Lib", "1.0.%d" % i)] = pkg
                streak += 1
                if streak >= 5:
                    break
            else:
                other.append((i, status, text))
        check(not other, "pushes on a full disk answered neither 201 nor 507: %s" % other[:3])
        log_text = server.lines_since_start()
        failed_writes = log_text.count("the write was refused")
        undone = log_text.count("undoing the push")
        check(refused, "the disk never filled up (%d pushes accepted)" % len(ok))
        rows = db_rows(data)
        recorded = [k for k in refused if (k[0].lower(), k[1]) in rows]
        check(not recorded, "refused pushes left rows: %s" % recorded)
        left = [k for k in refused if (k[0].lower(), k[1]) in version_folders(data)]
        check(not left, "refused pushes left files: %s" % left)
        for (pid, version) in refused:
            check(download(server.base, pid, version)[0] == 404, "a refused version is downloadable")
        # Free space as an administrator would: remove the filler and grow the file system, so that
        # every refused push fits whatever sizes the random run refused (the filler alone is 8 MB).
        os.remove(filler)
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        recovered = 0
        for (pid, version), pkg in refused.items():
            status, text = push(server.base, key, pkg)
            check(status == 201, "re-push of %s %s after freeing space: %d %s" % (pid, version, status, text))
            ok[(pid, version)] = pkg
            recovered += 1
        bad = verify_acked(server.base, ok)
        check(not bad, "accepted pushes not served: %s" % bad[:5])
        server.stop()
        check(integrity(data) == "ok", "integrity_check failed after the full disk")
        check(not orphans(data), "orphans after the full disk: %s" % orphans(data))

        # With [storage] min_free_mb the server refuses before writing, and /health says so.
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * (64 * 1024 * 1024))
            except OSError:
                pass
        guarded = Server(data, os.path.join(work, "full-disk-server.log"), {"GALLEY_STORAGE__MIN_FREE_MB": "2"})
        guarded.start()
        status, body = request("GET", guarded.base + "/health")
        health = json.loads(body)
        check(status == 503 and health["data_dir"]["status"] == "low-space", "health on a full disk: %d %s" % (status, body))
        status, text = push(guarded.base, key, nupkg("Full.Lib", "9.0.0", b"x"))
        check(status == 507 and text == DISK_FULL, "push below min_free_mb: %d %s" % (status, text))
        guarded.stop()
        print("full-disk: %d pushes accepted until the 24 MB disk filled, %d refused with 507 (0 answered 500; "
              "%d writes failed with ENOSPC/SQLITE_FULL, %d committed pushes taken back), "
              "0 rows and 0 files left by refused pushes, %d of %d refused pushes accepted after space was freed, "
              "%d accepted pushes verified; below min_free_mb /health answered 503 low-space and a push 507"
              % (len(ok) - recovered, len(refused), failed_writes, undone, recovered, len(refused), len(ok)))
    finally:
        umount(mnt)


def part_read_only(work):
    mnt = os.path.join(work, "read-only")
    mount_tmpfs(mnt, "32m")
    try:
        data = os.path.join(mnt, "data")
        key = make_user_and_key(data)
        server = Server(data, os.path.join(work, "read-only-server.log"), {"GALLEY_STORAGE__MIN_FREE_MB": "1"})
        server.start()
        pkg = nupkg("Ro.Lib", "1.0.0", os.urandom(2048))
        check(push(server.base, key, pkg)[0] == 201, "push before the remount")
        # A read-only bind mount over the data folder: what the server opens from now on is on a
        # read-only file system (a plain remount is refused while the database is open for writing).
        subprocess.run(["mount", "--bind", data, data], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", data], check=True)
        status, text = push(server.base, key, nupkg("Ro.Lib", "2.0.0", b"y"))
        check(status == 503 and text == READ_ONLY, "push to a read-only data folder: %d %s" % (status, text))
        status, body = request("GET", server.base + "/health")
        check(status == 503 and json.loads(body)["data_dir"]["status"] == "read-only", "health: %d %s" % (status, body))
        status, body = download(server.base, "Ro.Lib", "1.0.0")
        check(status == 200 and body == pkg, "download from a read-only data folder: %d" % status)
        check(searchable(server.base, "Ro.Lib", "1.0.0"), "search on a read-only data folder")
        subprocess.run(["umount", data], check=True)
        status, text = push(server.base, key, nupkg("Ro.Lib", "2.0.0", b"y"))
        check(status == 201, "push after remounting read-write: %d %s" % (status, text))
        server.stop()
        print("read-only: push answered 503 with a clear message, /health 503 read-only, download and search "
              "still served; after remounting read-write the same push answered 201")
    finally:
        umount(os.path.join(mnt, "data"))
        umount(mnt)


def part_backup(work):
    data = os.path.join(work, "backup-data")
    key = make_user_and_key(data)
    server = Server(data, os.path.join(work, "backup-server.log"))
    server.start()
    pushers = Pushers(lambda: server.base, key, 3, "Bk")
    pushers.start()
    time.sleep(2)
    dest = os.path.join(work, "backup")
    p = galley(["backup", dest], data)
    time.sleep(0.5)
    pushers.stop()
    check(p.returncode == 0, "galley backup: %s" % p.stderr)
    backup_line = p.stdout.strip()
    restored = os.path.join(work, "restored")
    p = galley(["restore", dest], restored)
    check(p.returncode == 0, "galley restore: %s %s" % (p.stdout, p.stderr))
    p = galley(["restore", dest], restored)
    check(p.returncode == 1 and "is not empty" in p.stderr, "restore over a non-empty folder: %d %s" % (p.returncode, p.stderr))
    copy = Server(restored, os.path.join(work, "restored-server.log"))
    copy.start()
    snapshot = {k for k, s in db_rows(dest).items() if s == "available"}
    names = {(pid.lower(), v): (pid, v) for (pid, v) in pushers.acked}
    compared = differ = 0
    examples = []
    for (lid, version) in sorted(snapshot):
        paths = ["/v3/flatcontainer/%s/%s/%s.%s.nupkg" % (lid, version, lid, version),
                 "/v3/registration/%s/%s.json" % (lid, version),
                 "/v3/flatcontainer/%s/index.json" % lid]
        for path in paths:
            a = request("GET", server.base + path)
            b = request("GET", copy.base + path)
            a_body = a[1].replace(server.base.encode(), b"BASE")
            b_body = b[1].replace(copy.base.encode(), b"BASE")
            if path.endswith("index.json"):
                # The original may list versions pushed after the snapshot: compare the snapshot's.
                listed = [v for v in json.loads(a_body)["versions"] if (lid, v) in snapshot] if a[0] == 200 else None
                same = a[0] == b[0] == 200 and listed == json.loads(b_body)["versions"]
            else:
                same = a[0] == b[0] == 200 and a_body == b_body
            compared += 1
            if not same:
                differ += 1
                examples.append("%s: %d %r / %d %r" % (path, a[0], a_body[:150], b[0], b_body[:150]))
        if (lid, version) in names:
            check(searchable(copy.base, names[(lid, version)][0], version), "%s %s not found by search after restore" % (lid, version))
    absent = [(pid, v) for (pid, v) in pushers.acked if (pid.lower(), v) not in snapshot]
    for pid, v in absent:
        check(download(copy.base, pid, v)[0] == 404, "%s %s, pushed after the snapshot, is served by the restore" % (pid, v))
    copy.stop()
    server.stop()
    check(differ == 0, "%d of %d answers differ between the original and the restored server: %s"
          % (differ, compared, examples[:3]))
    check(len(snapshot) > 0, "the snapshot holds no versions")
    print("backup: taken during %d pushes (%s); %d snapshot versions restored, %d feed answers compared, all equal "
          "(%d versions pushed after the snapshot correctly absent); restore over a non-empty folder refused"
          % (len(pushers.acked), backup_line, len(snapshot), compared, len(absent)))


PARTS = {"kill": part_kill, "full-disk": part_full_disk, "read-only": part_read_only, "backup": part_backup}
NEEDS_ROOT = {"full-disk", "read-only"}


def main():
    check(os.path.exists(GALLEY), "no galley binary at %s (cargo build --bin galley)" % GALLEY)
    chosen = [p for p in os.environ.get("PARTS", ",".join(PARTS)).split(",") if p]
    work = tempfile.mkdtemp(prefix="galley-faults-")
    failed = 0
    for name in chosen:
        if name in NEEDS_ROOT and os.geteuid() != 0:
            print("SKIP %s: mounting a file system needs root" % name)
            continue
        try:
            PARTS[name](os.path.join(work, name) if os.makedirs(os.path.join(work, name)) is None else None)
            print("PASS %s" % name)
        except Exception as e:  # one part's failure must not hide the others' figures
            failed += 1
            print("FAIL %s: %s" % (name, e))
        finally:
            stop_leftovers()
    if os.environ.get("KEEP_TMP") == "1" or failed:
        print("work folder kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("%d of %d fault parts passed" % (len(chosen) - failed, len(chosen)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
