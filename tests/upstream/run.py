#!/usr/bin/env python3
"""Upstream feeds against real servers on loopback (docs/upstreams.md).

Two upstreams that no line of Galley serves for Galley: nginx serving a static v3 feed (service
index, flat container and registration files this script writes once from real packages) and a
second Galley with `require_auth` (Basic credentials). The Galley under test reads through from
both; the real nuget.exe 5.8 (on mono) restores through it. Then both upstreams are stopped and a
fresh global-packages folder restores the same graph from Galley's cache.

Output: `PASS name` / `FAIL name: why` per case, then `N passed, M failed`; exit 0, 1 (a case
failed) or 2 (setup impossible). Logs in target/upstream-tests/.

Environment: GALLEY_BIN (default target/debug/galley), NUGET_EXE (nuget.exe 5.8), MONO,
NGINX (default nginx on PATH or /usr/sbin/nginx), KEEP_TMP=1.
Every process started here is stopped by its PID; every wait is bounded.
"""
import base64
import glob
import hashlib
import io
import json
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
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import free_port, http, stop  # noqa: E402 (the shared helpers of the loopback suites)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOG_DIR = os.path.join(ROOT, "target", "upstream-tests")
PASSWORD = "pw-123456"
CMD_TIMEOUT = 240
# Written in two pieces so this file is not itself reported by a scanner.
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PROCS = []


class Fail(Exception):
    pass


class SetupError(Exception):
    pass


def sha512_b64(data):
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def nupkg(pid, version, deps=(), extra=None):
    """A real package: nuspec, OPC parts and one file; `deps` are (id, range)."""
    dep_xml = "".join('<dependency id="%s" version="%s" />' % d for d in deps)
    nuspec = ('<?xml version="1.0" encoding="utf-8"?>\n'
              '<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>'
              '<id>%s</id><version>%s</version><authors>test</authors><description>%s for the upstream tests</description>'
              '<dependencies>%s</dependencies></metadata></package>' % (pid, version, pid, dep_xml))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("%s.nuspec" % pid, nuspec)
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="nuspec" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" />'
                   '<Default Extension="com" ContentType="application/octet" /></Types>')
        z.writestr("tools/%s.txt" % pid.lower(), "%s %s\n" % (pid, version))
        for name, body in (extra or {}).items():
            z.writestr(name, body)
    return buf.getvalue()


class StaticFeed:
    """Files of a v3 feed under www/v3/, served by nginx with its own prefix and config."""

    def __init__(self, work, port):
        self.dir = os.path.join(work, "nginx")
        self.www = os.path.join(self.dir, "www")
        self.base = "http://127.0.0.1:%d/v3" % port
        self.port = port
        self.packages = {}

    def add(self, pid, version, data, deps=(), published="2024-01-02T03:04:05+00:00", hash_override=None, linked=False):
        """`linked`: as nuget.org does, the leaf links its catalog item (which alone states the
        hash) instead of inlining the catalog entry."""
        self.packages.setdefault(pid, []).append((version, data, deps, published, hash_override, linked))

    def write(self):
        v3 = os.path.join(self.www, "v3")
        os.makedirs(v3, exist_ok=True)
        flat, reg = self.base + "/flat/", self.base + "/reg/"
        with open(os.path.join(v3, "index.json"), "w") as f:
            json.dump({"version": "3.0.0", "resources": [
                {"@id": flat, "@type": "PackageBaseAddress/3.0.0"},
                {"@id": reg, "@type": "RegistrationsBaseUrl"},
                {"@id": reg, "@type": "RegistrationsBaseUrl/3.6.0"},
                {"@id": self.base + "/catalog/index.json", "@type": "Catalog/3.0.0"},
            ]}, f)
        self.write_catalog(v3)
        for pid, versions in self.packages.items():
            low = pid.lower()
            os.makedirs(os.path.join(v3, "flat", low), exist_ok=True)
            os.makedirs(os.path.join(v3, "reg", low), exist_ok=True)
            with open(os.path.join(v3, "flat", low, "index.json"), "w") as f:
                json.dump({"versions": [v for v, *_ in versions]}, f)
            leaves = []
            for version, data, deps, published, hash_override, linked in versions:
                d = os.path.join(v3, "flat", low, version)
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, "%s.%s.nupkg" % (low, version)), "wb") as f:
                    f.write(data)
                leaf_url = "%s%s/%s.json" % (reg, low, version)
                entry = {"@id": leaf_url + "#catalogEntry", "id": pid, "version": version, "listed": True,
                         "published": published, "authors": "test", "description": pid,
                         "packageHash": hash_override or sha512_b64(data), "packageHashAlgorithm": "SHA512",
                         "dependencyGroups": [{"dependencies": [{"id": i, "range": r} for i, r in deps]}] if deps else []}
                content = "%s%s/%s/%s.%s.nupkg" % (flat, low, version, low, version)
                if linked:
                    item_url = "%s/catalog/%s.%s.json" % (self.base, low, version)
                    os.makedirs(os.path.join(v3, "catalog"), exist_ok=True)
                    with open(os.path.join(v3, "catalog", "%s.%s.json" % (low, version)), "w") as f:
                        json.dump(dict(entry, **{"@id": item_url}), f)
                    entry = {k: v for k, v in entry.items() if not k.startswith("packageHash")}
                    entry["@id"] = item_url
                leaf = {"@id": leaf_url, "catalogEntry": entry["@id"] if linked else entry, "listed": True, "packageContent": content,
                        "published": published, "registration": "%s%s/index.json" % (reg, low)}
                with open(os.path.join(v3, "reg", low, "%s.json" % version), "w") as f:
                    json.dump(leaf, f)
                leaves.append({"@id": leaf_url, "catalogEntry": entry, "packageContent": content,
                               "registration": "%s%s/index.json" % (reg, low)})
            index = {"@id": "%s%s/index.json" % (reg, low), "count": 1, "items": [{
                "@id": "%s%s/index.json#page/%s/%s" % (reg, low, versions[0][0], versions[-1][0]),
                "count": len(leaves), "lower": versions[0][0], "upper": versions[-1][0], "items": leaves}]}
            with open(os.path.join(v3, "reg", low, "index.json"), "w") as f:
                json.dump(index, f)

    def write_catalog(self, v3):
        """A catalog as nuget.org publishes one (index → page → items naming id and version): the
        only list of this feed's ids, since it has no search."""
        os.makedirs(os.path.join(v3, "catalog"), exist_ok=True)
        page_url = self.base + "/catalog/page0.json"
        stamp = "2024-01-02T03:04:05Z"
        items = [{"@id": "%s/catalog/%s.%s.json" % (self.base, pid.lower(), version), "@type": "nuget:PackageDetails",
                  "commitTimeStamp": stamp, "nuget:id": pid, "nuget:version": version}
                 for pid, versions in self.packages.items() for version, *_ in versions]
        with open(os.path.join(v3, "catalog", "page0.json"), "w") as f:
            json.dump({"@id": page_url, "count": len(items), "items": items}, f)
        with open(os.path.join(v3, "catalog", "index.json"), "w") as f:
            json.dump({"@id": self.base + "/catalog/index.json", "count": 1,
                       "items": [{"@id": page_url, "count": len(items), "commitTimeStamp": stamp}]}, f)

    def start(self):
        nginx = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise SetupError("nginx not found (test.sh installs it)")
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("%sworker_processes 1;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\n"
                    "events { worker_connections 64; }\nhttp {\n  access_log %s/logs/access.log;\n"
                    "  types { application/json json; application/octet-stream nupkg; }\n"
                    "  server { listen 127.0.0.1:%d; root %s; }\n}\n"
                    % (user, self.dir, self.dir, self.dir, self.port, self.www))
        self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "logs", "stderr.log"), "ab"))
        PROCS.append(self.proc)
        wait_for(self.proc, self.base + "/index.json", "nginx")


def wait_for(proc, url, what, headers=None):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SetupError("%s exited with %d before answering" % (what, proc.returncode))
        status, _ = http("GET", url, headers=headers, timeout=2)
        if status == 200:
            return
        time.sleep(0.2)
    raise SetupError("%s did not answer %s within 30 s" % (what, url))


class Galley:
    def __init__(self, bin_, work, name, config=""):
        self.bin, self.name = bin_, name
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.data = os.path.join(work, name + "-data")
        self.conf = os.path.join(work, name + ".toml")
        self.log = os.path.join(LOG_DIR, name + ".log")
        with open(self.conf, "w") as f:
            f.write('listen = "127.0.0.1:%d"\ndata_dir = "%s"\n[accounts]\nbcrypt_cost = 4\n%s' % (self.port, self.data, config))

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GALLEY_")}
        env["GALLEY_LOG"] = "info"
        return env

    def cli(self, *args, stdin=None):
        p = subprocess.run([self.bin] + list(args) + ["--config", self.conf], input=stdin, capture_output=True,
                           text=True, timeout=120, env=self.env())
        with open(self.log, "a") as f:
            f.write("$ galley %s\n[exit %d]\n%s%s\n" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def start(self, headers=None):
        self.out = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.conf], stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env())
        PROCS.append(self.proc)
        wait_for(self.proc, self.base + "/health", "galley " + self.name, headers)

    def user_and_key(self, user):
        p = self.cli("user", "add", user, "--email", user + "@example.com", "--password-stdin", stdin=PASSWORD + "\n")
        if p.returncode != 0:
            raise SetupError("galley user add: " + p.stderr)
        p = self.cli("apikey", "create", "--user", user, "--name", "ci")
        lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
        if p.returncode != 0 or not lines:
            raise SetupError("galley apikey create: " + p.stderr)
        return lines[-1]

    def push(self, key, data):
        boundary = uuid.uuid4().hex
        body = (("--%s\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + data
                + ("\r\n--%s--\r\n" % boundary).encode())
        status, resp = http("PUT", self.base + "/api/v2/package", body, {
            "X-NuGet-ApiKey": key, "Content-Type": "multipart/form-data; boundary=%s" % boundary})
        if status not in (201, 202):
            raise SetupError("push to %s: %s %s" % (self.name, status, resp[:200]))


class Suite:
    def __init__(self):
        self.galley_bin = os.environ.get("GALLEY_BIN") or os.path.join(ROOT, "target", "debug", "galley")
        self.mono = os.environ.get("MONO") or shutil.which("mono")
        exe = os.environ.get("NUGET_EXE") or next(iter(glob.glob(os.path.join(ROOT, "target", "test-tools", "node_modules", "nuget-exe", "*.exe"))), None)
        if not os.path.exists(self.galley_bin):
            raise SetupError("galley binary not found at %s (cargo build)" % self.galley_bin)
        if not self.mono or not exe:
            raise SetupError("mono and nuget.exe 5.8 are needed (test.sh installs them; set NUGET_EXE)")
        self.nuget_exe = exe
        self.work = tempfile.mkdtemp(prefix="galley-upstream-")
        os.chmod(self.work, 0o755)
        self.results = []
        self.bytes = {}

    # ---- setup

    def setup(self):
        os.makedirs(LOG_DIR, exist_ok=True)
        feed = StaticFeed(self.work, free_port())
        pk = lambda pid, v, deps=(), extra=None: self.bytes.setdefault((pid.lower(), v), nupkg(pid, v, deps, extra))
        feed.add("Up.App", "1.0.0", pk("Up.App", "1.0.0", [("Up.Lib", "1.0.0"), ("Auth.Dep", "1.0.0")]),
                 deps=[("Up.Lib", "[1.0.0, )"), ("Auth.Dep", "[1.0.0, )")])
        feed.add("Up.Lib", "1.0.0", pk("Up.Lib", "1.0.0"))
        feed.add("Up.Lib", "1.1.0", pk("Up.Lib", "1.1.0"))
        feed.add("Up.Tool", "2.0.0", pk("Up.Tool", "2.0.0", [("Up.ToolDep", "1.0.0")]), deps=[("Up.ToolDep", "[1.0.0, )")])
        feed.add("Up.ToolDep", "1.0.0", pk("Up.ToolDep", "1.0.0"))
        feed.add("Up.Never", "1.0.0", pk("Up.Never", "1.0.0"))
        feed.add("Up.Latest", "1.0.0", pk("Up.Latest", "1.0.0"))
        feed.add("Up.Latest", "2.0.0-beta", pk("Up.Latest", "2.0.0-beta"))
        feed.add("Conf.Internal", "99.0.0", pk("Conf.Internal", "99.0.0"))
        feed.add("Excl.Pkg", "1.0.0", pk("Excl.Pkg", "1.0.0"))
        feed.add("Rsv.Core", "1.0.0", pk("Rsv.Core", "1.0.0"))
        feed.add("Bad.Virus", "1.0.0", pk("Bad.Virus", "1.0.0", extra={"tools/eicar.com": EICAR}))
        feed.add("Bad.Hash", "1.0.0", pk("Bad.Hash", "1.0.0"), hash_override=sha512_b64(b"other bytes"))
        feed.add("Cat.Good", "1.0.0", pk("Cat.Good", "1.0.0"), linked=True)
        feed.add("Cat.Bad", "1.0.0", pk("Cat.Bad", "1.0.0"), hash_override=sha512_b64(b"other bytes"), linked=True)
        feed.write()
        feed.start()
        self.feed = feed

        private = Galley(self.galley_bin, self.work, "upstream-galley", "[feed]\nrequire_auth = true\n")
        key = private.user_and_key("carol")
        auth = {"Authorization": "Basic " + base64.b64encode(("carol:" + PASSWORD).encode()).decode()}
        private.start(auth)
        private.push(key, pk("Auth.Dep", "1.0.0"))
        private.push(key, pk("Auth.Search", "1.0.0"))
        # Its file replaced on the source's disk after the push: the source's registration still
        # states the pushed bytes' SHA-512, so a copy must be refused.
        private.push(key, pk("Auth.Tamper", "1.0.0"))
        tampered = glob.glob(os.path.join(private.data, "**", "auth.tamper.1.0.0.nupkg"), recursive=True)
        if len(tampered) != 1:
            raise SetupError("the source's file of Auth.Tamper 1.0.0 not found: %s" % tampered)
        with open(tampered[0], "wb") as f:
            f.write(nupkg("Auth.Tamper", "1.0.0", extra={"tools/other.txt": "other bytes"}))
        self.private_auth = auth
        for pid, v in (("Imp.A", "1.0.0"), ("Imp.A", "1.1.0"), ("Imp.B", "2.0.0-beta.1"), ("Imp.C", "3.0.0")):
            private.push(key, pk(pid, v))
        status, _ = http("DELETE", private.base + "/api/v2/package/Imp.A/1.1.0", headers={"X-NuGet-ApiKey": key})
        if status not in (200, 204):
            raise SetupError("unlisting Imp.A 1.1.0 on the source feed: %s" % status)
        self.private = private

        upstreams = ('[[upstream]]\nname = "static"\nurl = "%s/index.json"\nexclude = ["Excl.*"]\n'
                     'metadata_ttl_minutes = 0\ntimeout_seconds = 5\n'
                     '[[upstream]]\nname = "private"\nurl = "%s/v3/index.json"\ninclude = ["Auth.*"]\nsearch = true\n'
                     'username = "carol"\npassword = "%s"\nmetadata_ttl_minutes = 0\ntimeout_seconds = 5\n'
                     % (feed.base, private.base, PASSWORD))
        galley = Galley(self.galley_bin, self.work, "galley", '[scan]\nscanner = "builtin"\n' + upstreams)
        self.key = galley.user_and_key("alice")
        if galley.cli("prefix", "reserve", "Rsv.").returncode != 0:
            raise SetupError("galley prefix reserve failed")
        galley.start()
        self.local_conf = nupkg("Conf.Internal", "1.0.0")
        galley.push(self.key, self.local_conf)
        self.galley = galley
        self.v3 = galley.base + "/v3/index.json"

    # ---- helpers

    def nuget_install(self, name, pid, version, out):
        case = os.path.join(self.work, "cases", name)
        os.makedirs(os.path.join(case, "tmp"), exist_ok=True)
        cfg = os.path.join(case, "NuGet.Config")
        with open(cfg, "w") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear />'
                    '</packageSources></configuration>')
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NUGET_") and "proxy" not in k.lower()}
        env.update({"HOME": os.path.join(case, "home"), "NUGET_PACKAGES": os.path.join(case, "global-packages"),
                    "NUGET_HTTP_CACHE_PATH": os.path.join(case, "http-cache"), "TMPDIR": os.path.join(case, "tmp"),
                    "XDG_CONFIG_HOME": os.path.join(case, "home", ".config")})
        args = [self.mono, self.nuget_exe, "install", pid, "-Source", self.v3, "-OutputDirectory", out, "-NoCache",
                "-DirectDownload", "-NonInteractive", "-ConfigFile", cfg]
        if version:
            args += ["-Version", version]
        p = subprocess.run(args, capture_output=True, timeout=CMD_TIMEOUT, cwd=case, env=env, stdin=subprocess.DEVNULL)
        output = (p.stdout + p.stderr).decode("utf-8", "replace")
        with open(os.path.join(LOG_DIR, "nuget.log"), "a") as f:
            f.write("$ nuget install %s %s\n[exit %d]\n%s\n" % (pid, version or "", p.returncode, output))
        if p.returncode != 0:
            raise Fail("nuget install %s exited %d: %s" % (pid, p.returncode, output.strip().splitlines()[-3:]))

    def installed(self, out, expected):
        for pid, version in expected:
            path = os.path.join(out, "%s.%s" % (pid, version), "%s.%s.nupkg" % (pid, version))
            if not os.path.exists(path):
                raise Fail("%s %s not installed (have %s)" % (pid, version, sorted(os.listdir(out))))
            with open(path, "rb") as f:
                if f.read() != self.bytes[(pid.lower(), version)]:
                    raise Fail("%s %s installed is not byte-identical to the upstream's" % (pid, version))

    def get(self, path):
        return http("GET", self.galley.base + path)

    def expect(self, path, status, body=None):
        got, data = self.get(path)
        if got != status:
            raise Fail("GET %s -> %s, expected %s: %s" % (path, got, status, data[:200]))
        if body is not None and json.loads(data) != body:
            raise Fail("GET %s -> %s, expected %s" % (path, data[:300], body))
        return data

    def audit(self, action):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.galley.data, "galley.db"), uri=True, timeout=10)
        try:
            return db.execute("SELECT package_id, version, detail FROM audit_log WHERE action = ?", (action,)).fetchall()
        finally:
            db.close()

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

    # ---- cases

    def restore_through_two_upstreams(self):
        out = os.path.join(self.work, "out-online")
        self.nuget_install("online", "Up.App", "1.0.0", out)
        self.installed(out, [("Up.App", "1.0.0"), ("Up.Lib", "1.0.0"), ("Auth.Dep", "1.0.0")])
        # Served like a local package from here on: its own ETag, the static path.
        self.expect("/v3/flatcontainer/up.lib/index.json", 200, {"versions": ["1.0.0", "1.1.0"]})
        page = self.expect("/packages/Up.Lib/1.0.0", 200).decode()
        notice = page[page.find("Mirrored from the upstream"):][:80]
        if "static" not in notice or "fetched 20" not in notice:
            raise Fail("the package page does not say where Up.Lib came from and when: %r" % notice)
        mirrored = self.audit("package.mirror")
        if {(p.lower(), v) for p, v, _ in mirrored} < {("up.app", "1.0.0"), ("up.lib", "1.0.0"), ("auth.dep", "1.0.0")}:
            raise Fail("the fetched versions are not recorded as mirrored: %s" % mirrored)

    def v2_reads_through(self):
        feed = self.expect("/api/v2/FindPackagesById()?id='Up.Lib'&semVerLevel=2.0.0", 200).decode()
        for v in ("1.0.0", "1.1.0"):
            if "<d:Version>%s</d:Version>" % v not in feed:
                raise Fail("FindPackagesById(Up.Lib) lacks %s: %s" % (v, feed[:400]))
        entry = self.expect("/api/v2/Packages(Id='Up.Lib',Version='1.1.0')", 200).decode()
        if "/api/v2/package/Up.Lib/1.1.0" not in entry and "/api/v2/package/up.lib/1.1.0" not in entry.lower():
            raise Fail("the entry's download link is not this server's: %s" % entry[:400])
        self.expect("/api/v2/Packages(Id='Up.Lib',Version='9.9.9')", 404)
        # The versionless download is the upstream's newest stable version, read through.
        if self.expect("/api/v2/package/Up.Latest", 200) != self.bytes[("up.latest", "1.0.0")]:
            raise Fail("/api/v2/package/Up.Latest is not the upstream's Up.Latest 1.0.0")
        self.expect("/api/v2/package/Excl.Pkg", 404)
        for pid in ("Excl.Pkg", "Rsv.Core"):
            feed = self.expect("/api/v2/FindPackagesById()?id='%s'" % pid, 200).decode()
            if "<entry" in feed:
                raise Fail("FindPackagesById(%s) lists an upstream version: %s" % (pid, feed[:300]))
        conf = self.expect("/api/v2/FindPackagesById()?id='Conf.Internal'", 200).decode()
        if "99.0.0" in conf or "<d:Version>1.0.0</d:Version>" not in conf:
            raise Fail("FindPackagesById(Conf.Internal) is not the local versions only: %s" % conf[:400])

    def local_wins(self):
        self.expect("/v3/flatcontainer/conf.internal/index.json", 200, {"versions": ["1.0.0"]})
        self.expect("/v3/flatcontainer/conf.internal/99.0.0/conf.internal.99.0.0.nupkg", 404)
        out = os.path.join(self.work, "out-local")
        self.nuget_install("local", "Conf.Internal", None, out)
        path = os.path.join(out, "Conf.Internal.1.0.0", "Conf.Internal.1.0.0.nupkg")
        if not os.path.exists(path) or open(path, "rb").read() != self.local_conf:
            raise Fail("the local Conf.Internal 1.0.0 was not the one installed (%s)" % os.listdir(out))

    def excluded_id_is_404(self):
        self.expect("/v3/flatcontainer/excl.pkg/index.json", 404)
        self.expect("/v3/flatcontainer/excl.pkg/1.0.0/excl.pkg.1.0.0.nupkg", 404)
        self.expect("/v3/registration-gz-semver2/excl.pkg/index.json", 404)

    def reserved_prefix_never_upstream(self):
        self.expect("/v3/flatcontainer/rsv.core/index.json", 404)
        self.expect("/v3/flatcontainer/rsv.core/1.0.0/rsv.core.1.0.0.nupkg", 404)
        self.expect("/v3/registration/rsv.core/index.json", 404)
        bad = self.galley.cli("prefix", "reserve", "Rsv/*")
        if bad.returncode == 0 or "'Rsv/*' is not an id prefix" not in bad.stderr:
            raise Fail("a bad prefix was accepted: %s %s" % (bad.returncode, bad.stderr))
        listed = self.galley.cli("prefix", "list").stdout
        if not listed.startswith("Rsv.\t"):
            raise Fail("prefix list: %r" % listed)

    def eicar_is_never_served(self):
        for _ in range(2):
            self.expect("/v3/flatcontainer/bad.virus/1.0.0/bad.virus.1.0.0.nupkg", 404)
        refused = self.audit("upstream.refused")
        if len(refused) != 1 or refused[0][0] != "Bad.Virus" or "Eicar" not in refused[0][2]:
            raise Fail("the refusal is not recorded once in the audit log: %s" % refused)
        if os.path.exists(os.path.join(self.galley.data, "packages", "bad.virus")):
            raise Fail("the infected package was stored")

    def wrong_hash_is_refused(self):
        # Stated in the inlined catalog entry (Bad.Hash) or only in the linked catalog item, as
        # on nuget.org (Cat.Bad), or in the registration page of a feed without a catalog (another
        # Galley: Auth.Tamper); Cat.Good's linked item states the right hash.
        for pid in ("bad.hash", "cat.bad", "auth.tamper"):
            self.expect("/v3/flatcontainer/%s/1.0.0/%s.1.0.0.nupkg" % (pid, pid), 404)
            if os.path.exists(os.path.join(self.galley.data, "packages", pid)):
                raise Fail("%s, whose SHA-512 differs from the upstream's, was stored" % pid)
        if self.expect("/v3/flatcontainer/cat.good/1.0.0/cat.good.1.0.0.nupkg", 200) != self.bytes[("cat.good", "1.0.0")]:
            raise Fail("Cat.Good (hash in its linked catalog item) was not served byte-identical")

    def search_lists_upstream_hits(self):
        # `search = true` on "private" (include = Auth.*): its hits follow the local ones, once
        # each; its Imp.* ids are outside its include, Auth.Dep is held here since it was mirrored.
        query = "/v3/query?q=tests&take=100&prerelease=true&semVerLevel=2.0.0"
        doc = json.loads(self.expect(query, 200))
        ids = [d["id"] for d in doc["data"]]
        if ids.count("Auth.Search") != 1 or ids.count("Auth.Dep") != 1 or any(i.startswith("Imp.") for i in ids):
            raise Fail("search does not list the upstream's admitted hits once each: %s" % ids)
        upstream_hits = [i for i in ids if i in ("Auth.Search", "Auth.Tamper")]
        if ids[-len(upstream_hits):] != upstream_hits or len(upstream_hits) != 2:
            raise Fail("the upstream hits are not after the local ones: %s" % ids)
        hit = doc["data"][ids.index("Auth.Search")]
        if not hit["registration"].startswith(self.galley.base + "/v3/") or not hit["versions"][0]["@id"].startswith(self.galley.base):
            raise Fail("the upstream hit's links are not this server's: %s" % hit)
        status, body = http("GET", self.private.base + query, headers=self.private_auth)
        upstream_total = json.loads(body)["totalHits"] if status == 200 else None
        local_total = doc["totalHits"] - (upstream_total or 0)
        if upstream_total is None or local_total != len(ids) - 2:
            raise Fail("totalHits %s is not the local hits plus the upstream's %s (%s shown)" % (doc["totalHits"], upstream_total, ids))
        # skip and take run over the local hits first, then the upstream's.
        first = json.loads(self.expect("/v3/query?q=tests&skip=0&take=%d&prerelease=true&semVerLevel=2.0.0" % local_total, 200))
        rest = json.loads(self.expect("/v3/query?q=tests&skip=%d&take=100&prerelease=true&semVerLevel=2.0.0" % local_total, 200))
        if [d["id"] for d in first["data"]] != ids[:-2] or [d["id"] for d in rest["data"]] != ids[-2:]:
            raise Fail("paging across local and upstream hits: %s then %s" % ([d["id"] for d in first["data"]], [d["id"] for d in rest["data"]]))
        auto = json.loads(self.expect("/v3/autocomplete?q=auth&take=100&prerelease=true", 200))
        if sorted(auto["data"]) != ["Auth.Dep", "Auth.Search", "Auth.Tamper"]:
            raise Fail("autocomplete does not add the upstream's ids once each: %s" % auto)
        # v2 Search(): the upstream's latest versions after the local entries, its links this server's.
        v2 = self.expect("/api/v2/Search()?searchTerm='tests'&includePrerelease=true&$filter=IsAbsoluteLatestVersion"
                         "&$top=100&semVerLevel=2.0.0", 200).decode()
        v2_ids = [chunk.split("</d:Id>")[0] for chunk in v2.split("<d:Id>")[1:]]
        if v2_ids.count("Auth.Search") != 1 or any(i.startswith("Imp.") for i in v2_ids) or v2_ids[-2:] != ["Auth.Search", "Auth.Tamper"]:
            raise Fail("v2 Search() does not list the upstream's hits once each after the local ones: %s" % v2_ids)
        if self.galley.base + "/api/v2/package/Auth.Search/1.0.0" not in v2:
            raise Fail("the upstream entry's download link is not this server's: %s" % v2[-1500:])
        filtered = self.expect("/api/v2/Search()?searchTerm='tests'&$filter=Id%20eq%20'Auth.Search'", 200).decode()
        if "<entry" in filtered:
            raise Fail("a v2 Search() with another $filter listed upstream entries")
        page = self.expect("/packages?q=tests", 200).decode()
        if "Auth.Search" not in page or "from private" not in page:
            raise Fail("the portal's search does not mark the upstream hit")
        page = self.expect("/packages/Auth.Search", 200).decode()
        if "not stored on this server yet" not in page or "dotnet add package Auth.Search --version 1.0.0" not in page:
            raise Fail("the page of an upstream package not stored yet: %s" % page[:300])
        self.expect("/packages/Imp.C", 404)
        self.expect("/packages/Excl.Pkg", 404)

    def mirror_fetch_with_dependencies(self):
        p = self.galley.cli("mirror", "fetch", "Up.Tool", "--with-dependencies")
        if p.returncode != 0 or "2 stored, 0 local, 0 failed." not in p.stdout:
            raise Fail("mirror fetch: exit %d, %s %s" % (p.returncode, p.stdout, p.stderr))

    def versions_of(self, data_dir):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "galley.db"), uri=True, timeout=10)
        try:
            return db.execute("SELECT p.id_lower, v.version_lower, v.hash_sha512, v.listed, v.status FROM package_versions v "
                              "JOIN packages p ON p.id = v.package_key ORDER BY 1, 2").fetchall()
        finally:
            db.close()

    def import_from_feed(self):
        target = Galley(self.galley_bin, self.work, "import-target")
        args = ("import", "--from-feed", self.private.base + "/v3/index.json", "--username", "carol", "--password", PASSWORD)
        # Interrupted once the first version is in, then run again to the end.
        proc = subprocess.Popen([target.bin] + list(args) + ["--config", target.conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=target.env())
        PROCS.append(proc)
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            if os.path.exists(os.path.join(target.data, "galley.db")):
                try:
                    if self.versions_of(target.data):
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.05)
        interrupted = proc.poll() is None
        if interrupted:
            proc.kill()
        proc.wait(timeout=15)
        # Every version but Auth.Tamper, whose bytes no longer match the source's stated SHA-512.
        p = target.cli(*args)
        if p.returncode == 0 or "1 failed" not in p.stdout or "failed Auth.Tamper 1.0.0: SHA-512 differs from the feed's" not in p.stdout + p.stderr:
            raise Fail("import --from-feed: exit %d, %s %s" % (p.returncode, p.stdout, p.stderr))
        source = [r[:4] for r in self.versions_of(self.private.data) if r[0].lower() != "auth.tamper"]
        copied = [r[:4] for r in self.versions_of(target.data)]
        if copied != source:
            raise Fail("the copy differs from the source (interrupted: %s):\n%s\n%s" % (interrupted, copied, source))
        again = target.cli(*args)
        if "Copied 0 versions, skipped %d already here, 1 failed." % len(source) not in again.stdout:
            raise Fail("a third run copied again: %s %s" % (again.stdout, again.stderr))
        bad = target.cli("import", "--from-feed", "ftp://example/index.json")
        if bad.returncode == 0 or "--from-feed: url = 'ftp://example/index.json' must be the http(s) URL" not in bad.stderr:
            raise Fail("a bad feed URL: exit %d, %s" % (bad.returncode, bad.stderr))

    def import_from_catalog(self):
        """A static feed without search: its ids come from its catalog, and the hashes its
        registration pages only link (nuget.org's shape: Cat.*) are read from the catalog items."""
        target = Galley(self.galley_bin, self.work, "catalog-import", '[scan]\nscanner = "builtin"\n')
        p = target.cli("import", "--from-feed", self.feed.base + "/index.json")
        out = p.stdout + p.stderr
        for pid in ("Bad.Hash", "Cat.Bad"):
            if "failed %s 1.0.0: SHA-512 differs from the feed's" % pid not in out:
                raise Fail("import from the catalog feed did not refuse %s: exit %d, %s" % (pid, p.returncode, out))
        if p.returncode == 0 or "failed Bad.Virus 1.0.0:" not in out:
            raise Fail("import from the catalog feed did not refuse Bad.Virus: exit %d, %s" % (p.returncode, out))
        refused = {"bad.hash", "cat.bad", "bad.virus"}
        expected = sorted((pid.lower(), v) for pid, vs in self.feed.packages.items() for v, *_ in vs
                          if pid.lower() not in refused)
        copied = [(r[0], r[1]) for r in self.versions_of(target.data) if r[4] == "available"]
        if copied != expected:
            raise Fail("copied from the catalog feed:\n%s\nexpected:\n%s" % (copied, expected))
        stored = {(r[0], r[1]): r[2] for r in self.versions_of(target.data)}
        if stored[("cat.good", "1.0.0")] != sha512_b64(self.bytes[("cat.good", "1.0.0")]):
            raise Fail("Cat.Good was not copied byte-identical")
        if any(pid in refused for pid, _ in stored):
            raise Fail("a refused version left a row: %s" % sorted(stored))

    def offline_restore_from_cache(self):
        stop(self.feed.proc)
        stop(self.private.proc)
        out = os.path.join(self.work, "out-offline")
        self.nuget_install("offline", "Up.App", "1.0.0", out)
        self.installed(out, [("Up.App", "1.0.0"), ("Up.Lib", "1.0.0"), ("Auth.Dep", "1.0.0")])
        self.nuget_install("offline-tool", "Up.Tool", "2.0.0", out)
        self.installed(out, [("Up.Tool", "2.0.0"), ("Up.ToolDep", "1.0.0")])
        # Never cached: 404, not a 5xx, while the upstream is down (and backed off).
        for path in ("/v3/flatcontainer/up.never/index.json", "/v3/flatcontainer/up.never/1.0.0/up.never.1.0.0.nupkg",
                     "/v3/registration/up.never/index.json"):
            self.expect(path, 404)
        # Search keeps answering, the upstream's last page served stale.
        doc = json.loads(self.expect("/v3/query?q=tests&take=100&prerelease=true&semVerLevel=2.0.0", 200))
        if "Auth.Search" not in [d["id"] for d in doc["data"]]:
            raise Fail("search while the upstream is down lost its last page: %s" % [d["id"] for d in doc["data"]])
        health = json.loads(self.expect("/health", 200))
        if not any("failing" in w for w in health.get("warnings", [])):
            raise Fail("/health carries no warning about the failing upstreams: %s" % health)

    def offline_after_a_restart(self):
        # Nothing in memory any more: the rendered documents of the fetched versions answer.
        stop(self.galley.proc)
        self.galley.start()
        self.expect("/v3/flatcontainer/up.lib/index.json", 200, {"versions": ["1.0.0"]})
        out = os.path.join(self.work, "out-restarted")
        self.nuget_install("restarted", "Up.App", "1.0.0", out)
        self.installed(out, [("Up.App", "1.0.0"), ("Up.Lib", "1.0.0"), ("Auth.Dep", "1.0.0")])
        self.expect("/v3/flatcontainer/up.never/1.0.0/up.never.1.0.0.nupkg", 404)

    def run(self):
        try:
            self.setup()
        except SetupError as e:
            print("SETUP FAILED: %s" % e)
            return 2
        for name in ("restore_through_two_upstreams", "v2_reads_through", "local_wins", "excluded_id_is_404", "reserved_prefix_never_upstream",
                     "eicar_is_never_served", "wrong_hash_is_refused", "search_lists_upstream_hits", "mirror_fetch_with_dependencies", "import_from_feed",
                     "import_from_catalog",
                     "offline_restore_from_cache", "offline_after_a_restart"):
            self.case(name, getattr(self, name))
        failed = [n for n, e in self.results if e]
        print("%d passed, %d failed" % (len(self.results) - len(failed), len(failed)))
        return 1 if failed else 0


def main():
    suite = Suite()
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
