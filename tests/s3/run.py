#!/usr/bin/env python3
"""S3-compatible storage against a real S3 server on loopback (docs/scale-out.md).

The server is moto's (PyPI `moto[server]`), which speaks the S3 REST protocol; this script starts
it on a free loopback port, and boto3 (the AWS SDK for Python) is the independent S3 client that
lists, reads and damages objects behind Galley's back. Cases: a bad [storage] stops the start
with a clear message; pushes land in the bucket; restores give the exact bytes; a fresh node
(new data folder, same bucket, a copy of the database) serves from the bucket, to the real
nuget.exe 5.8 too; an object
changed in the bucket is refused, not served; a hard delete removes the objects;
`galley migrate --to-storage s3` copies a folder install, copies nothing the second time, and
the migrated install serves every package.

Output: `PASS name` / `FAIL name: why` per case, then `N passed, M failed`; exit 0, 1 (a case
failed) or 2 (setup impossible). Logs in target/s3-tests/.

Environment: GALLEY_BIN (default target/debug/galley), PYTHON (the one with moto), NUGET_EXE
(nuget.exe 5.8, run on MONO), KEEP_TMP=1.
Every process started here is stopped by its PID; every wait is bounded.
"""
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import free_port, http, stop  # noqa: E402 (the shared helpers of the loopback suites)
import s3server  # noqa: E402 (moto's S3 server, shared with the cluster suite)
from packages import multipart, nupkg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOG_DIR = os.path.join(ROOT, "target", "s3-tests")
PASSWORD = "pw-123456"
BUCKET = "galley-test"
ACCESS, SECRET = s3server.ACCESS, s3server.SECRET
PROCS = []


class Fail(Exception):
    pass


class SetupError(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Fail(message)


def wait_for(proc, url, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError("%s exited with %d before answering" % (what, proc.returncode))
        status, _ = http("GET", url, timeout=2)
        if status is not None:
            return
        time.sleep(0.2)
    raise SetupError("%s did not answer %s within 30 s" % (what, url))


def storage_toml(endpoint, prefix, backend="s3", keys=True, bucket=BUCKET):
    lines = ['[storage]', 'backend = "%s"' % backend, 'bucket = "%s"' % bucket, 'prefix = "%s"' % prefix,
             'endpoint = "%s"' % endpoint, 'region = "us-east-1"', 'path_style = true', 'cache_mb = 64']
    if keys:
        lines += ['access_key = "%s"' % ACCESS, 'secret_key = "%s"' % SECRET]
    return "\n".join(lines) + "\n"


class Galley:
    def __init__(self, bin_, work, name, storage, extra=""):
        self.bin, self.name, self.work = bin_, name, work
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.data = os.path.join(work, name + "-data")
        self.conf = os.path.join(work, name + ".toml")
        self.log = os.path.join(LOG_DIR, name + ".log")
        self.proc = None
        self.write_config(storage, extra)

    def write_config(self, storage, extra=""):
        with open(self.conf, "w") as f:
            f.write('listen = "127.0.0.1:%d"\ndata_dir = "%s"\n[accounts]\nbcrypt_cost = 4\n%s%s'
                    % (self.port, self.data, extra, storage))

    def env(self, aws_fallback=False):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GALLEY_", "AWS_"))}
        env["GALLEY_LOG"] = "info"
        if aws_fallback:
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = ACCESS, SECRET
        return env

    def cli(self, *args, stdin=None, timeout=120):
        p = subprocess.run([self.bin] + list(args) + ["--config", self.conf], input=stdin, capture_output=True,
                           text=True, timeout=timeout, env=self.env(aws_fallback=True))
        with open(self.log, "a") as f:
            f.write("$ galley %s\n[exit %d]\n%s%s\n" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def start(self, aws_fallback=False):
        self.out = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.conf], stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env(aws_fallback))
        PROCS.append(self.proc)
        wait_for(self.proc, self.base + "/health", "galley " + self.name)

    def stop(self):
        if self.proc:
            stop(self.proc)
            self.proc = None

    def user_and_key(self, user, admin=False):
        args = ["user", "add", user, "--email", user + "@example.com", "--password-stdin"] + (["--admin"] if admin else [])
        p = self.cli(*args, stdin=PASSWORD + "\n")
        if p.returncode != 0:
            raise SetupError("galley user add: " + p.stderr)
        p = self.cli("apikey", "create", "--user", user, "--name", "ci")
        lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
        if p.returncode != 0 or not lines:
            raise SetupError("galley apikey create: " + p.stderr)
        return lines[-1]

    def push(self, key, data):
        body, content_type = multipart(data)
        return http("PUT", self.base + "/api/v2/package", body, {"X-NuGet-ApiKey": key, "Content-Type": content_type})

    def download(self, pid, version):
        low = pid.lower()
        return http("GET", "%s/v3/flatcontainer/%s/%s/%s.%s.nupkg" % (self.base, low, version, low, version))


class Suite:
    def __init__(self):
        self.galley_bin = os.environ.get("GALLEY_BIN") or os.path.join(ROOT, "target", "debug", "galley")
        self.python = os.environ.get("PYTHON") or sys.executable
        self.mono = os.environ.get("MONO") or shutil.which("mono")
        self.nuget_exe = os.environ.get("NUGET_EXE") or next(iter(glob.glob(
            os.path.join(ROOT, "target", "test-tools", "node_modules", "nuget-exe", "*.exe"))), None)
        if not os.path.exists(self.galley_bin):
            raise SetupError("no galley binary at %s (cargo build first)" % self.galley_bin)
        os.makedirs(LOG_DIR, exist_ok=True)
        for name in os.listdir(LOG_DIR):
            os.remove(os.path.join(LOG_DIR, name))
        self.work = tempfile.mkdtemp(prefix="galley-s3-", dir=os.path.join(ROOT, "target"))
        self.results = []
        self.pushed = {}

    def start_s3(self):
        import boto3  # installed with moto
        try:
            self.s3_proc, self.endpoint = s3server.start(self.python, os.path.join(LOG_DIR, "moto.log"))
        except RuntimeError as e:
            raise SetupError(str(e))
        PROCS.append(self.s3_proc)
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                               aws_access_key_id=ACCESS, aws_secret_access_key=SECRET)
        self.s3.create_bucket(Bucket=BUCKET)

    def keys(self, prefix):
        found, token = [], None
        for _ in range(100):
            kw = {"Bucket": BUCKET, "Prefix": prefix}
            if token:
                kw["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**kw)
            found += [o["Key"] for o in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                break
        return sorted(found)

    def object(self, key):
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def case(self, name, fn):
        try:
            fn()
            self.results.append((name, None))
            print("PASS %s" % name, flush=True)
        except Fail as e:
            self.results.append((name, str(e)))
            print("FAIL %s: %s" % (name, e), flush=True)
        except Exception:  # a bug in the harness is a failure too, with its trace
            self.results.append((name, traceback.format_exc()))
            print("FAIL %s: %s" % (name, traceback.format_exc()), flush=True)

    def serve_fails(self, name, storage, expected):
        g = Galley(self.galley_bin, self.work, name, storage)
        p = subprocess.run([g.bin, "serve", "--config", g.conf], capture_output=True, text=True, timeout=90,
                           env=g.env(), stdin=subprocess.DEVNULL)
        with open(g.log, "a") as f:
            f.write(p.stdout + p.stderr)
        check(p.returncode != 0, "%s: galley serve started anyway" % name)
        check(expected in p.stderr, "%s: expected %r in the error, got %r" % (name, expected, p.stderr[-600:]))
        check("panicked" not in p.stderr, "%s: a panic: %r" % (name, p.stderr[-600:]))

    # ---- cases

    def bad_storage_stops_the_start(self):
        self.serve_fails("unreachable", storage_toml("http://127.0.0.1:%d" % free_port(), ""),
                         "the endpoint cannot be reached: bucket 'galley-test' at http://127.0.0.1:")
        self.serve_fails("nobucket", storage_toml(self.endpoint, "", bucket="no-such-bucket"),
                         "the bucket does not exist (create it first): bucket 'no-such-bucket'")
        self.serve_fails("nokeys", storage_toml(self.endpoint, "", bucket=""), "[storage] backend = \"s3\" needs a bucket")

    def push_lands_in_the_bucket(self):
        # Credentials from the usual AWS variables: the config file names none.
        self.a = Galley(self.galley_bin, self.work, "node-a", storage_toml(self.endpoint, "feed/a", keys=False),
                        extra='[publish]\ndelete_mode = "hard"\n')
        self.key = self.a.user_and_key("alice", admin=True)
        self.a.start(aws_fallback=True)
        for pid, version, readme in (("S3.One", "1.0.0", "# one"), ("S3.Two", "2.0.0", None), ("S3.Gone", "1.0.0", None),
                                     ("S3.Client", "1.2.3", None)):
            data = nupkg(pid, version, readme)
            status, body = self.a.push(self.key, data)
            check(status == 201, "push %s: %s %s" % (pid, status, body[:200]))
            self.pushed[(pid, version)] = data
        keys = self.keys("feed/a/s3.one/")
        check(keys == ["feed/a/s3.one/1.0.0/readme", "feed/a/s3.one/1.0.0/s3.one.1.0.0.nupkg", "feed/a/s3.one/1.0.0/s3.one.nuspec"],
              "objects of S3.One: %s" % keys)
        check(self.object("feed/a/s3.one/1.0.0/s3.one.1.0.0.nupkg") == self.pushed[("S3.One", "1.0.0")],
              "the bucket's nupkg differs from the pushed bytes")
        check(self.object("feed/a/s3.one/1.0.0/readme") == b"# one", "the readme object")
        # The same id+version again: 409, and the object keeps the first bytes.
        status, body = self.a.push(self.key, nupkg("S3.One", "1.0.0"))
        check(status == 409, "second push of S3.One 1.0.0: %s %s" % (status, body[:200]))
        check(self.object("feed/a/s3.one/1.0.0/s3.one.1.0.0.nupkg") == self.pushed[("S3.One", "1.0.0")],
              "a refused push changed the object")

    def restore_gives_the_exact_bytes(self):
        status, body = http("GET", self.a.base + "/v3/flatcontainer/s3.two/index.json")
        check(status == 200 and b'"2.0.0"' in body, "flat container index: %s %s" % (status, body[:200]))
        for (pid, version), data in self.pushed.items():
            status, body = self.a.download(pid, version)
            check(status == 200 and body == data, "download %s %s: %s, %d bytes" % (pid, version, status, len(body)))
        status, body = http("GET", self.a.base + "/v3/flatcontainer/s3.one/1.0.0/readme")
        check(status == 200 and body == b"# one", "readme: %s %r" % (status, body[:100]))

    def fresh_node_serves_from_the_bucket(self):
        self.b = Galley(self.galley_bin, self.work, "node-b", storage_toml(self.endpoint, "feed/a"))
        os.makedirs(self.b.data)
        src = sqlite3.connect(os.path.join(self.a.data, "galley.db"))
        dst = sqlite3.connect(os.path.join(self.b.data, "galley.db"))
        src.backup(dst)
        src.close()
        dst.close()
        self.b.start()
        cached = os.path.join(self.b.data, "object-cache", "s3.one", "1.0.0", "s3.one.1.0.0.nupkg")
        check(not os.path.exists(cached), "node B's cache holds S3.One before any request")
        status, body = self.b.download("S3.One", "1.0.0")
        check(status == 200 and body == self.pushed[("S3.One", "1.0.0")], "node B download: %s %d bytes" % (status, len(body)))
        check(os.path.exists(cached), "node B did not keep the fetched file in its cache")
        status, body = http("GET", self.b.base + "/v3/flatcontainer/s3.one/1.0.0/s3.one.nuspec")
        check(status == 200 and b"<id>S3.One</id>" in body, "node B nuspec: %s %r" % (status, body[:100]))

    def nuget_exe_restores_from_a_fresh_node(self):
        """The real nuget.exe 5.8 installs a package node B has never served (a cache miss)."""
        check(self.mono and self.nuget_exe, "mono and nuget.exe 5.8 are needed (test.sh installs them; set NUGET_EXE)")
        case = os.path.join(self.work, "nuget")
        out = os.path.join(case, "out")
        os.makedirs(os.path.join(case, "tmp"), exist_ok=True)
        cfg = os.path.join(case, "NuGet.Config")
        with open(cfg, "w") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear />'
                    '</packageSources></configuration>')
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NUGET_") and "proxy" not in k.lower()}
        env.update({"HOME": os.path.join(case, "home"), "NUGET_PACKAGES": os.path.join(case, "global-packages"),
                    "NUGET_HTTP_CACHE_PATH": os.path.join(case, "http-cache"), "TMPDIR": os.path.join(case, "tmp"),
                    "XDG_CONFIG_HOME": os.path.join(case, "home", ".config")})
        cached = os.path.join(self.b.data, "object-cache", "s3.client", "1.2.3", "s3.client.1.2.3.nupkg")
        check(not os.path.exists(cached), "node B's cache holds S3.Client before nuget.exe asked for it")
        p = subprocess.run([self.mono, self.nuget_exe, "install", "S3.Client", "-Version", "1.2.3", "-Source",
                            self.b.base + "/v3/index.json", "-OutputDirectory", out, "-NoCache", "-DirectDownload",
                            "-NonInteractive", "-ConfigFile", cfg], capture_output=True, timeout=240, cwd=case, env=env,
                           stdin=subprocess.DEVNULL)
        output = (p.stdout + p.stderr).decode("utf-8", "replace")
        with open(os.path.join(LOG_DIR, "nuget.log"), "a") as f:
            f.write("[exit %d]\n%s\n" % (p.returncode, output))
        check(p.returncode == 0, "nuget install exited %d: %s" % (p.returncode, output.strip().splitlines()[-3:]))
        with open(os.path.join(out, "S3.Client.1.2.3", "S3.Client.1.2.3.nupkg"), "rb") as f:
            check(f.read() == self.pushed[("S3.Client", "1.2.3")], "nuget.exe installed other bytes than were pushed")
        check(os.path.exists(cached), "node B did not keep what nuget.exe fetched")

    def changed_object_is_refused(self):
        key = "feed/a/s3.two/2.0.0/s3.two.2.0.0.nupkg"
        original = self.object(key)
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0xFF
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(damaged))
        status, body = self.b.download("S3.Two", "2.0.0")
        check(status == 503, "damaged object: expected 503, got %s %r" % (status, body[:200]))
        check(b"The stored file s3.two/2.0.0/s3.two.2.0.0.nupkg failed its integrity check (its SHA-512 differs from the recorded one)" in body,
              "damaged object message: %r" % body[:300])
        cached = os.path.join(self.b.data, "object-cache", "s3.two", "2.0.0", "s3.two.2.0.0.nupkg")
        check(not os.path.exists(cached), "the damaged bytes were kept in node B's cache")
        # Put right in the bucket, it is served again.
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=original)
        status, body = self.b.download("S3.Two", "2.0.0")
        check(status == 200 and body == original, "restored object: %s" % status)

    def hard_delete_removes_the_objects(self):
        check(self.keys("feed/a/s3.gone/1.0.0/"), "S3.Gone has no objects before the delete")
        status, body = http("DELETE", self.a.base + "/api/v2/package/S3.Gone/1.0.0", headers={"X-NuGet-ApiKey": self.key})
        check(status == 204, "hard delete: %s %r" % (status, body[:200]))
        check(self.keys("feed/a/s3.gone/") == [], "objects left after the delete: %s" % self.keys("feed/a/s3.gone/"))
        status, _ = self.a.download("S3.Gone", "1.0.0")
        check(status == 404, "deleted package still served: %s" % status)
        check(self.keys("feed/a/s3.one/"), "the delete removed another package's objects")

    def migrate_copies_a_folder_install(self):
        self.a.stop()
        self.b.stop()
        c = Galley(self.galley_bin, self.work, "node-c", storage_toml(self.endpoint, "migrated", backend="filesystem"))
        key = c.user_and_key("carol")
        c.start()
        packages = {}
        for pid, version, readme in (("Mig.One", "1.0.0", "# mig"), ("Mig.One", "1.1.0", None), ("Mig.Two", "3.0.0", None)):
            data = nupkg(pid, version, readme)
            status, body = c.push(key, data)
            check(status == 201, "push %s %s to the folder install: %s %r" % (pid, version, status, body[:200]))
            packages[(pid, version)] = data
        c.stop()
        check(self.keys("migrated/") == [], "the folder install wrote to the bucket")
        p = c.cli("migrate", "--to-storage", "s3", "--to-database", "postgres://x@127.0.0.1/db")
        check(p.returncode == 2 and "galley migrate takes --to-storage or --to-database, one at a time" in p.stderr,
              "both targets: %d %r" % (p.returncode, p.stderr))
        p = c.cli("migrate", "--to-storage", "s3")
        check(p.returncode == 0, "migrate: %d %r" % (p.returncode, p.stderr[-500:]))
        # Three versions, each a nupkg and a nuspec, and the one readme.
        check("7 files copied" in p.stdout and "0 already in the bucket" in p.stdout, "first migrate: %r" % p.stdout)
        check('Set [storage] backend = "s3"' in p.stdout, "migrate does not say what to do next: %r" % p.stdout)
        p = c.cli("migrate", "--to-storage", "s3")
        check(p.returncode == 0 and "0 files copied (0 bytes), 7 already in the bucket" in p.stdout,
              "second migrate: %d %r %r" % (p.returncode, p.stdout, p.stderr[-300:]))
        check(self.object("migrated/mig.two/3.0.0/mig.two.3.0.0.nupkg") == packages[("Mig.Two", "3.0.0")],
              "the migrated object differs")
        # The folder goes away; the install now serves everything from the bucket.
        shutil.move(os.path.join(c.data, "packages"), os.path.join(self.work, "node-c-packages-moved"))
        c.write_config(storage_toml(self.endpoint, "migrated"))
        c.start()
        for (pid, version), data in packages.items():
            status, body = c.download(pid, version)
            check(status == 200 and body == data, "migrated %s %s: %s %d bytes" % (pid, version, status, len(body)))
        status, body = http("GET", c.base + "/v3/flatcontainer/mig.one/1.0.0/readme")
        check(status == 200 and body == b"# mig", "migrated readme: %s %r" % (status, body[:100]))
        c.stop()

    def run(self):
        try:
            self.start_s3()
        except (SetupError, ImportError) as e:
            print("SETUP FAILED: %s" % e)
            return 2
        for name in ("bad_storage_stops_the_start", "push_lands_in_the_bucket", "restore_gives_the_exact_bytes",
                     "fresh_node_serves_from_the_bucket", "nuget_exe_restores_from_a_fresh_node", "changed_object_is_refused", "hard_delete_removes_the_objects",
                     "migrate_copies_a_folder_install"):
            self.case(name, getattr(self, name))
        failed = [n for n, e in self.results if e]
        print("%d passed, %d failed" % (len(self.results) - len(failed), len(failed)))
        return 1 if failed else 0


def main():
    try:
        suite = Suite()
    except SetupError as e:
        print("SETUP FAILED: %s" % e)
        return 2
    try:
        return suite.run()
    finally:
        for proc in PROCS:
            stop(proc)
        if os.environ.get("KEEP_TMP") == "1":
            print("kept %s" % suite.work)
        else:
            shutil.rmtree(suite.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
