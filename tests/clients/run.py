#!/usr/bin/env python3
"""Real-client compatibility test: every NuGet client that runs here, against a running Galley:
nuget.exe 5.8 (under mono) and Debian's `nuget` package (NuGet 2.8.7, also on mono).

Starts `galley serve` on a free loopback port with a temp data dir, creates users and
API keys with the galley CLI, packs fixtures from tests/fixtures/clients/ with the real
`nuget pack`, then runs nuget.exe push / setApiKey / search / list / install / restore /
delete against the v3 source ({base}/v3/index.json) and the v2 source ({base}/api/v2/),
NuGet 2.8.7 push / list / install / delete against the v2 source (group `nuget2`), and
nuget.exe against a second, private server (`[feed] require_auth = true`) whose
credentials `nuget sources add -UserName -Password` stores in NuGet.Config (group `private`), and
nuget.exe packing and pushing a symbol package of a real assembly (group `symbols`, with the
`clr-loader` 0.3.1 wheel ./test.sh caches in target/test-tools/clr-loader, CLR_LOADER_DIR).

Output: one `PASS name` / `FAIL name: why` line per case, then `N passed, M failed`.
Exit status: 0 when all selected cases pass, 1 when one fails, 2 when setup is impossible.
Logs (one per case, the server log, the packed .nupkg files) go to target/client-tests/.

Environment:
  GALLEY_BIN        galley binary (default: <repo>/target/debug/galley)
  GALLEY_SERVE_ARGS extra arguments for `galley serve` (shell-split)
  NUGET_EXE         nuget.exe (default: searched under <repo>/**/node_modules/nuget-exe and /tmp/nugetexe)
  NUGET2            Debian's nuget 2.8.7 launcher (default: nuget on PATH)
  MONO              mono executable (default: mono)
  CASES             comma-separated filter: a group (`v3`, `v2`, `nuget2`, `private`, `symbols`) or case-name prefixes
  NUGET_CMD_TIMEOUT seconds per nuget.exe command (default 240)
  CLIENT_TESTS_VERBOSE=1  also print the nuget output and server lines of failing cases
  KEEP_TMP=1        keep the temp work dir (printed at the end)

Only loopback is used: every nuget.exe command gets a fresh NuGet.Config whose
packageSources start with <clear />, HOME/XDG dirs, the global packages folder, the
http cache and TMPDIR all point into the temp dir, proxies are unset, and every
command passes -Source explicitly.

Nothing here installs mono, nuget.exe or Debian's nuget; CI does (see the top-level test script).
"""
import atexit
import base64
import glob
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "clients")
LOG_DIR = os.path.join(ROOT, "target", "client-tests")
VERBOSE = os.environ.get("CLIENT_TESTS_VERBOSE") == "1"
CMD_TIMEOUT = int(os.environ.get("NUGET_CMD_TIMEOUT", "240"))
PASSWORD = "pw-123456"
# galley reads every GALLEY_* variable as configuration and refuses unknown keys
# ("invalid environment variable GALLEY_BIN: unknown key 'bin'"): keep this harness's own out.
HARNESS_VARS = ("GALLEY_BIN", "GALLEY_SERVE_ARGS", "GALLEY_START_TIMEOUT")


def galley_env():
    env = {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}
    env.setdefault("GALLEY_LOG", "info")
    env.setdefault("NO_COLOR", "1")
    return env


class Fail(Exception):
    """A case assertion failed; the message is the one-line reason."""


class SetupError(Exception):
    """The run cannot start (no binary, no mono, server does not come up)."""


# --------------------------------------------------------------------------- process control

SERVER = {"proc": None, "others": [], "work": None}


def stop_process(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # by PID: a process this script started
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def stop_server():
    for proc in [SERVER["proc"]] + SERVER["others"]:
        stop_process(proc)


def cleanup():
    stop_server()
    work = SERVER["work"]
    if work and os.environ.get("KEEP_TMP") != "1":
        shutil.rmtree(work, ignore_errors=True)


def on_signal(signum, _frame):
    print("interrupted by signal %d: stopping the server (pid %s)"
          % (signum, SERVER["proc"].pid if SERVER["proc"] else "-"), flush=True)
    cleanup()
    sys.exit(128 + signum)  # subprocess.run kills a running nuget.exe on the way out


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- plain HTTP (setup and preconditions only)

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, data=None, headers=None, timeout=15):
    """Returns (status, headers, body bytes); never raises for HTTP errors."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {}), e.read() or b""
    except (urllib.error.URLError, OSError) as e:
        return 0, {}, str(e).encode()


def short(body, n=200):
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "..."


# --------------------------------------------------------------------------- packages

def nupkg_identity(path):
    """(id, version) read from the root .nuspec of a .nupkg."""
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.lower().endswith(".nuspec") and "/" not in n)
        xml = z.read(name).decode("utf-8-sig")
    pid = re.search(r"<id>\s*([^<]+?)\s*</id>", xml).group(1)
    ver = re.search(r"<version>\s*([^<]+?)\s*</version>", xml).group(1)
    return pid, ver


def sha512(path):
    with open(path, "rb") as f:
        return base64.b64encode(hashlib.sha512(f.read()).digest()).decode()


def add_readme_to_nupkg(path, readme_line):
    """Put the <readme> line back into a packed .nuspec (nuget.exe 5.8 cannot pack it)."""
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info, data in entries:
            if info.filename.lower().endswith(".nuspec") and "/" not in info.filename:
                text = data.decode("utf-8-sig")
                text = text.replace("</description>", "</description>\n    " + readme_line, 1)
                data = b"\xef\xbb\xbf" + text.encode("utf-8")
            z.writestr(info, data)
    with open(path, "wb") as f:
        f.write(out.getvalue())


def installed_packages(outdir):
    """{(id_lower, version_lower): (nupkg path, sha512)} for every package nuget installed in outdir."""
    found = {}
    if not os.path.isdir(outdir):
        return found
    for d in sorted(os.listdir(outdir)):
        for f in glob.glob(os.path.join(outdir, d, "*.nupkg")):
            pid, ver = nupkg_identity(f)
            found[(pid.lower(), ver.lower())] = (f, sha512(f))
    return found


def list_lines(out):
    """`nuget list` prints `Id Version` per package; returns the set of such pairs (lowercased)."""
    pairs = set()
    for line in out.splitlines():
        m = re.match(r"^(\S+) (\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.-]+)?)\s*$", line.strip())
        if m:
            pairs.add((m.group(1).lower(), m.group(2).lower()))
    return pairs


def search_hits(out):
    """`nuget search` (5.8) prints `> Id | Version | Downloads: N` per hit; returns {id_lower: version}."""
    hits = {}
    for line in out.splitlines():
        m = re.match(r"^>\s*(\S+)\s*\|\s*(\S+)\s*\|", line.strip())
        if m:
            hits[m.group(1).lower()] = m.group(2).lower()
    return hits


# Colours, and the terminal queries mono's console writes when it runs under a pseudo-terminal.
ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[=>])")

ERROR_HINTS = ("response status code", "unable to", "error", "failed", "forbidden", "unauthorized",
               "conflict", "already exists", "not found", "warning", "exception", "refused")


def nuget_reason(out):
    """The most telling lines of a nuget.exe output, for a one-line FAIL message."""
    picked = []
    for line in out.splitlines():
        s = line.strip()
        low = s.lower()
        if not s or low.startswith(("get ", "put ", "delete ", "ok ", "notfound ", "cache ")):
            continue
        if any(h in low for h in ERROR_HINTS) and s not in picked:
            picked.append(s)
    if not picked:
        picked = [l.strip() for l in out.splitlines() if l.strip()][-2:]
    return short(" / ".join(picked[:3]), 400)


V2_MISSING = [
    # list: "The V2 feed at 'URL' returned an unexpected status code '404 Not Found'."
    re.compile(r"V2 feed at '(?P<url>.+?)' returned an unexpected status code '(?P<status>\d+)"),
    # install: "Failed to fetch results from V2 feed at 'URL' with following message : ... 404 (Not Found)."
    re.compile(r"V2 feed at '(?P<url>.+?)' with following message : Response status code does not indicate success: (?P<status>\d+)"),
    # push/delete with -Verbosity detailed: "  NotFound http://host/api/v2/..."
    re.compile(r"^\s*(?P<status>NotFound|NotImplemented|MethodNotAllowed) (?P<url>http\S*/api/v2/\S*)", re.M),
]
STATUS_CODES = {"NotFound": "404", "NotImplemented": "501", "MethodNotAllowed": "405"}


def v2_route_missing(out):
    """'PUT http://.../api/v2/ -> 404' when nuget.exe hit a v2 route the server does not have (yet)."""
    for rx in V2_MISSING:
        # nuget.exe tolerates a missing $metadata: report the request that made it give up.
        hits = [m for m in rx.finditer(out) if "$metadata" not in m.group("url")
                and STATUS_CODES.get(m.group("status"), m.group("status")) in ("404", "405", "501")]
        if hits:
            m = hits[0]
            url = m.group("url")
            verb = re.search(r"^\s*(GET|PUT|DELETE|POST) %s\s*$" % re.escape(url), out, re.M)
            return "%s %s -> %s" % (verb.group(1) if verb else "GET", url, STATUS_CODES.get(m.group("status"), m.group("status")))
    return None


def nuget_failure(out):
    missing = v2_route_missing(out)
    if missing:
        return "v2 route not implemented by the server: %s" % missing
    return nuget_reason(out)


# --------------------------------------------------------------------------- the run

class Run:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="galley-client-tests-")
        self.data_dir = os.path.join(self.work, "data")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.v3 = self.base + "/v3/index.json"
        self.v2 = self.base + "/api/v2/"
        self.keys = {}
        self.pkgs = {}  # (id_lower, version_lower) -> packed .nupkg path
        self.state = {}
        self.server_log = os.path.join(LOG_DIR, "server.log")
        self.service_index = None
        self.current = None  # the running case (its log receives precondition notes)

    def note(self, text):
        if self.current is not None:
            self.current.note(text)

    # ---- tools

    def find_tools(self):
        self.galley = os.environ.get("GALLEY_BIN") or os.path.join(ROOT, "target", "debug", "galley")
        if not os.path.isabs(self.galley):  # relative to the working directory, else to the repo root
            here = os.path.abspath(self.galley)
            self.galley = here if os.path.exists(here) else os.path.join(ROOT, self.galley)
        if not os.access(self.galley, os.X_OK):
            raise SetupError("galley binary not found or not executable: %s (build it or set GALLEY_BIN)" % self.galley)
        self.mono = shutil.which(os.environ.get("MONO", "mono"))
        if not self.mono:
            raise SetupError("mono not found (CI installs mono-runtime mono-devel ca-certificates-mono)")
        exe = os.environ.get("NUGET_EXE")
        if not exe:
            patterns = [os.path.join(ROOT, "node_modules", "nuget-exe", "**", "*.exe"),
                        os.path.join(ROOT, "*", "node_modules", "nuget-exe", "**", "*.exe"),
                        os.path.join(ROOT, "*", "*", "node_modules", "nuget-exe", "**", "*.exe"),
                        "/tmp/nugetexe/node_modules/nuget-exe/**/*.exe"]
            for pat in patterns:
                hits = sorted(h for h in glob.glob(pat, recursive=True)
                              if os.path.basename(h).lower().startswith("nuget"))
                if hits:
                    exe = hits[0]
                    break
        if not exe or not os.path.isfile(exe):
            raise SetupError("nuget.exe not found: set NUGET_EXE (CI: npm install --prefix <dir> nuget-exe@5.8.0)")
        self.nuget_exe = os.path.abspath(exe)
        # Debian's nuget 2.8.7: only the `nuget2` group needs it; its cases fail (not the run) without it.
        self.nuget2 = shutil.which(os.environ.get("NUGET2", "nuget"))

    # ---- nuget.exe

    def nuget_env(self, case_dir):
        env = {k: v for k, v in os.environ.items()
               if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
               and not k.upper().startswith("NUGET_")}
        home = os.path.join(self.work, "home")
        env.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            # A fresh global packages folder and http cache per case: a package already
            # there would be installed without asking the server.
            "NUGET_PACKAGES": os.path.join(case_dir, "global-packages"),
            "NUGET_HTTP_CACHE_PATH": os.path.join(case_dir, "http-cache"),
            "NUGET_PLUGINS_CACHE_PATH": os.path.join(case_dir, "plugins-cache"),
            "TMPDIR": os.path.join(case_dir, "tmp"),
            "no_proxy": "127.0.0.1,localhost",
            "NO_PROXY": "127.0.0.1,localhost",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
        })
        os.makedirs(env["TMPDIR"], exist_ok=True)
        return env

    def write_config(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n'
                    '  <packageSources>\n    <clear />\n  </packageSources>\n'
                    '  <disabledPackageSources>\n    <clear />\n  </disabledPackageSources>\n'
                    '</configuration>\n')

    def prepare_home(self):
        """The user-level NuGet.Config (read by `nuget search`, which has no -ConfigFile) has no sources."""
        cfg_dir = os.path.join(self.work, "home", ".config", "NuGet")
        os.makedirs(cfg_dir, exist_ok=True)
        self.write_config(os.path.join(cfg_dir, "NuGet.Config"))
        # nuget.exe reads nuget.config files from the working directory up to /: warn if one leaks in.
        d = self.work
        while True:
            for name in ("NuGet.Config", "nuget.config", "NuGet.config"):
                p = os.path.join(d, name)
                if os.path.isfile(p):
                    print("warning: %s exists and may add package sources" % p)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent

    # ---- galley CLI

    def galley_cli(self, args, stdin=None, log=None, data_dir=None):
        cmd = [self.galley] + args + ["--data-dir", data_dir or self.data_dir]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, cwd=self.work,
                           env=galley_env())
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write("$ %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s\n" % (
                    " ".join(shlex.quote(a) for a in cmd), p.returncode, p.stdout, p.stderr))
        return p

    # ---- server

    def start_server(self):
        SERVER["proc"] = self.launch(self.port, self.data_dir, {})

    def launch(self, port, data_dir, env_extra):
        """Starts `galley serve` on port over data_dir (output into the server log); returns once /health answers."""
        os.makedirs(data_dir, exist_ok=True)
        extra = shlex.split(os.environ.get("GALLEY_SERVE_ARGS", ""))
        cmd = [self.galley, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir] + extra
        if not getattr(self, "server_out", None):
            self.server_out = open(self.server_log, "ab")
        self.server_out.write(("$ %s %s\n" % (" ".join("%s=%s" % kv for kv in env_extra.items()),
                                              " ".join(shlex.quote(a) for a in cmd))).encode())
        self.server_out.flush()
        proc = subprocess.Popen(cmd, stdout=self.server_out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.work, env=dict(galley_env(), **env_extra))
        deadline = time.time() + float(os.environ.get("GALLEY_START_TIMEOUT", "30"))
        last = ""
        while time.time() < deadline:
            if proc.poll() is not None:
                raise SetupError("galley serve exited with %d before answering /health; tail of %s: %s" % (
                    proc.returncode, self.server_log, short(self.server_tail(), 600)))
            status, _, body = http("GET", "http://127.0.0.1:%d/health" % port, timeout=2)
            if status == 200:
                return proc
            last = "%s %s" % (status, short(body, 100))
            time.sleep(0.25)
        stop_process(proc)
        raise SetupError("GET /health did not answer 200 within the timeout (last: %s)" % last)

    def private_feed(self):
        """A second server with `[feed] require_auth = true` holding Priv.Core 1.0.0; started on first use."""
        if "private" not in self.state:
            port = free_port()
            data_dir = os.path.join(self.work, "private-data")
            SERVER["others"].append(self.launch(port, data_dir, {"GALLEY_FEED__REQUIRE_AUTH": "true"}))
            log = os.path.join(LOG_DIR, "setup-private.log")
            p = self.galley_cli(["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"],
                                stdin=PASSWORD + "\n", log=log, data_dir=data_dir)
            k = self.galley_cli(["apikey", "create", "--user", "alice", "--name", "ci"], log=log, data_dir=data_dir)
            if p.returncode != 0 or k.returncode != 0:
                raise Fail("setting up the private server's user and key failed (see %s)" % log)
            base = "http://127.0.0.1:%d" % port
            self.state["private"] = {"base": base, "v3": base + "/v3/index.json", "v2": base + "/api/v2/",
                                     "key": k.stdout.split()[-1]}
            self.put_package(base + "/api/v2/package", self.pkg("Priv.Core", "1.0.0"), self.state["private"]["key"])
        return self.state["private"]

    def server_tail(self, n=4000):
        try:
            with open(self.server_log, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def server_offset(self):
        try:
            return os.path.getsize(self.server_log)
        except OSError:
            return 0

    def server_lines_since(self, offset):
        with open(self.server_log, "rb") as f:
            f.seek(offset)
            return ANSI.sub("", f.read().decode("utf-8", "replace"))

    # ---- users and keys

    def create_users_and_keys(self):
        log = os.path.join(LOG_DIR, "setup-users.log")
        for user in ("alice", "bob"):
            p = self.galley_cli(["user", "add", user, "--email", "%s@example.com" % user, "--password-stdin"],
                                stdin=PASSWORD + "\n", log=log)
            if p.returncode != 0:
                raise SetupError("`galley user add %s` exited %d: %s" % (user, p.returncode, short(p.stderr or p.stdout)))
        specs = {
            "alice": ["--user", "alice", "--name", "ci"],
            "alice-acme": ["--user", "alice", "--name", "acme-push", "--scopes", "push", "--glob", "Acme.*"],
            "bob": ["--user", "bob", "--name", "ci"],
        }
        for name, args in specs.items():
            p = self.galley_cli(["apikey", "create"] + args, log=log)
            lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
            if p.returncode != 0 or not lines or " " in lines[-1] or len(lines[-1]) < 8:
                raise SetupError("`galley apikey create %s` exited %d, stdout %r, stderr %r (the key must be alone on the last line)"
                                 % (" ".join(args), p.returncode, short(p.stdout), short(p.stderr)))
            self.keys[name] = lines[-1]

    # ---- packing

    def pack_all(self):
        """Pack every fixture with the real `nuget pack`; returns after filling self.pkgs."""
        src = os.path.join(self.work, "fixtures")
        shutil.copytree(FIXTURES, src)
        out = os.path.join(LOG_DIR, "packages")
        os.makedirs(out, exist_ok=True)
        log = os.path.join(LOG_DIR, "setup-pack.log")
        # The v2 group uses its own ids (same fixtures, ids renamed) so deleting a version
        # in one group does not change what the other group's installs resolve.
        renames = {"Legacy": {"Acme.Core": "Legacy.Core", "Acme.App": "Legacy.App"},
                   "Deb": {"Acme.Core": "Deb.Core", "Acme.App": "Deb.App"},
                   "Priv": {"Acme.Core": "Priv.Core"}}
        plan = [
            ("Acme.Core.nuspec", None, ["1.0.0", "1.1.0", "2.0.0-beta.1",
                                        "1.0.1", "1.0.2", "1.0.3", "1.0.4"]),  # 1.0.x: negative push cases
            ("Acme.App.nuspec", None, ["1.0.0"]),
            ("Other.Lib.nuspec", None, ["1.0.0", "0.9.0"]),  # 0.9.0: scope-denied push
            ("Acme.Core.nuspec", "Legacy", ["1.0.0", "1.1.0", "2.0.0-beta.1"]),
            ("Acme.App.nuspec", "Legacy", ["1.0.0"]),
            # NuGet 2.8.7 knows SemVer 1.0 only: its prerelease label has no dots.
            ("Acme.Core.nuspec", "Deb", ["1.0.0", "1.1.0", "2.0.0-beta"]),
            ("Acme.App.nuspec", "Deb", ["1.0.0"]),
            ("Acme.Core.nuspec", "Priv", ["1.0.0"]),
        ]
        case_dir = os.path.join(self.work, "pack")
        os.makedirs(case_dir, exist_ok=True)
        cfg = os.path.join(case_dir, "NuGet.Config")
        self.write_config(cfg)
        for nuspec, variant, versions in plan:
            with open(os.path.join(src, nuspec), encoding="utf-8") as f:
                text = f.read()
            for old, new in renames.get(variant, {}).items():
                text = text.replace(old, new)
            # nuget.exe 5.8 validates the nuspec against a schema without <readme> (NuGet 5.10+):
            # pack without it, then write it back into the packed .nuspec.
            readme = re.search(r"^[ \t]*(<readme>[^<]*</readme>)[ \t]*\n", text, re.M)
            if readme:
                text = text.replace(readme.group(0), "")
            tmp_spec = os.path.join(src, "%s-%s" % (variant or "main", nuspec))
            with open(tmp_spec, "w", encoding="utf-8") as f:
                f.write(text)
            for ver in versions:
                rc, output = self.nuget_raw(["pack", tmp_spec, "-Version", ver, "-OutputDirectory", out,
                                             "-BasePath", src, "-NoPackageAnalysis", "-NonInteractive",
                                             "-ConfigFile", cfg], case_dir, log)
                pid = re.search(r"<id>([^<]+)</id>", text).group(1)
                path = os.path.join(out, "%s.%s.nupkg" % (pid, ver))
                if rc != 0 or not os.path.isfile(path):
                    raise SetupError("nuget pack %s -Version %s failed (exit %d): %s" % (nuspec, ver, rc, nuget_reason(output)))
                if readme:
                    add_readme_to_nupkg(path, readme.group(1))
                self.pkgs[(pid.lower(), ver.lower())] = path

    def pkg(self, pid, ver):
        return self.pkgs[(pid.lower(), ver.lower())]

    def nuget_raw(self, args, case_dir, log, cwd=None):
        cmd = [self.mono, self.nuget_exe] + args
        shown = " ".join(shlex.quote(a) for a in cmd)
        for name, key in self.keys.items():
            shown = shown.replace(key, "<key:%s>" % name)
        env = self.nuget_env(case_dir)
        start = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=CMD_TIMEOUT, cwd=cwd or case_dir, env=env,
                               stdin=subprocess.DEVNULL)
            rc, out = p.returncode, (p.stdout + b"\n" + p.stderr).decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:  # subprocess.run kills the child it started
            rc, out = -1, "TIMEOUT after %ds\n%s" % (CMD_TIMEOUT, ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace"))
        with open(log, "a", encoding="utf-8") as f:
            f.write("$ %s\n[exit %d in %.1fs]\n%s\n\n" % (shown, rc, time.time() - start, out))
        return rc, out

    def nuget2_raw(self, args, case_dir, log, tty=False):
        """Debian's nuget 2.8.7. With tty, under a pseudo-terminal 200 columns wide: without a console
        width its `list` prints blank lines without end."""
        if not self.nuget2:
            raise Fail("Debian's nuget (2.8.7) not found: apt-get install nuget (or set NUGET2)")
        cmd = [self.nuget2] + args
        if tty:
            cmd = ["script", "-qec", "stty cols 200 rows 50; exec " + " ".join(shlex.quote(a) for a in cmd), "/dev/null"]
        shown = " ".join(shlex.quote(a) for a in cmd)
        for name, key in self.keys.items():
            shown = shown.replace(key, "<key:%s>" % name)
        start = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=CMD_TIMEOUT, cwd=case_dir, env=self.nuget_env(case_dir),
                               stdin=subprocess.DEVNULL)
            rc, out = p.returncode, (p.stdout + b"\n" + p.stderr).decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:  # subprocess.run kills the child it started
            rc, out = -1, "TIMEOUT after %ds\n%s" % (CMD_TIMEOUT, ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace"))
        out = ANSI.sub("", out).replace("\r", "")
        with open(log, "a", encoding="utf-8") as f:
            f.write("$ %s\n[exit %d in %.1fs]\n%s\n\n" % (shown, rc, time.time() - start, out))
        return rc, out

    # ---- service index and preconditions

    def resource(self, kind, fallback):
        if self.service_index is None:
            status, _, body = http("GET", self.v3)
            try:
                self.service_index = json.loads(body) if status == 200 else {}
            except ValueError:
                self.service_index = {}
        for r in self.service_index.get("resources", []):
            if r.get("@type", "").split("/")[0] == kind:
                return r["@id"]
        return fallback

    def flat_versions(self, pid):
        flat = self.resource("PackageBaseAddress", self.base + "/v3/flatcontainer/")
        status, _, body = http("GET", flat.rstrip("/") + "/%s/index.json" % pid.lower())
        if status != 200:
            return None
        try:
            return [v.lower() for v in json.loads(body).get("versions", [])]
        except ValueError:
            return None

    def ensure_pushed(self, pid, ver, key="alice"):
        """Precondition for a case: the package is on the server. Pushes it with a plain
        HTTP PUT (not nuget.exe) when missing, so one failed push case does not cascade."""
        versions = self.flat_versions(pid)
        if versions is not None and ver.lower() in versions:
            return
        publish = self.resource("PackagePublish", self.base + "/api/v2/package")
        status = self.put_package(publish, self.pkg(pid, ver), self.keys[key])
        # A server that validates/scans asynchronously answers 202: wait (bounded) until served.
        for _ in range(60):
            versions = self.flat_versions(pid)
            if versions is None or ver.lower() in versions:
                return
            time.sleep(0.25)
        raise Fail("precondition: %s %s was accepted (%s) but is not in the flat container index after 15s"
                   % (pid, ver, status))

    def put_package(self, publish, path, key):
        """PUT a .nupkg as nuget.exe does (plain HTTP); returns the status, raises Fail unless stored."""
        boundary = uuid.uuid4().hex
        with open(path, "rb") as f:
            data = f.read()
        body = (("--%s\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package.nupkg\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + data
                + ("\r\n--%s--\r\n" % boundary).encode())
        status, _, resp = http("PUT", publish, body, {
            "X-NuGet-ApiKey": key, "X-NuGet-Protocol-Version": "4.1.0",
            "Content-Type": "multipart/form-data; boundary=%s" % boundary})
        self.note("precondition: PUT %s (%s) -> %s %s" % (publish, os.path.basename(path), status, short(resp)))
        if status not in (200, 201, 202, 409):
            raise Fail("precondition: could not put %s on the server: PUT %s -> %s %s"
                       % (os.path.basename(path), publish, status, short(resp)))
        return status

    def ensure_deleted(self, pid, ver, flag):
        if self.state.get(flag):
            return
        self.ensure_pushed(pid, ver)
        publish = self.resource("PackagePublish", self.base + "/api/v2/package")
        url = "%s/%s/%s" % (publish.rstrip("/"), pid, ver)
        status, _, resp = http("DELETE", url, headers={"X-NuGet-ApiKey": self.keys["alice"]})
        self.note("precondition: DELETE %s -> %s %s" % (url, status, short(resp)))
        if status not in (200, 202, 204):
            raise Fail("precondition: could not delete %s %s: DELETE %s -> %s %s" % (pid, ver, url, status, short(resp)))
        self.state[flag] = True


# --------------------------------------------------------------------------- cases

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


class C:
    """Per-case helpers: its own directory, NuGet.Config, log file and nuget.exe runner."""

    def __init__(self, run, name):
        self.run = run
        self.name = name
        self.dir = os.path.join(run.work, "cases", name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "NuGet.Config")
        run.write_config(self.cfg)
        self.log = os.path.join(LOG_DIR, name + ".log")
        self.last_output = ""
        self.last_server = ""
        run.current = self

    def note(self, text):
        with open(self.log, "a", encoding="utf-8") as f:
            f.write("# %s\n" % text)

    def nuget(self, *args, config=True, detailed=True):
        args = list(args) + ["-NonInteractive"]
        if detailed:
            args += ["-Verbosity", "detailed"]
        if config:
            args += ["-ConfigFile", self.cfg]
        offset = self.run.server_offset()
        rc, out = self.run.nuget_raw(args, self.dir, self.log)
        # The server's own log lines for this command, right under the command's output.
        self.last_server = self.run.server_lines_since(offset)
        with open(self.log, "a", encoding="utf-8") as f:
            f.write("--- server log during this command\n%s\n" % self.last_server)
        self.last_output = out
        return rc, out

    def nuget2(self, *args, tty=False):
        """Debian's nuget 2.8.7 with -NonInteractive; see Run.nuget2_raw for tty."""
        offset = self.run.server_offset()
        rc, out = self.run.nuget2_raw(list(args) + ["-NonInteractive"], self.dir, self.log, tty=tty)
        self.last_server = self.run.server_lines_since(offset)
        with open(self.log, "a", encoding="utf-8") as f:
            f.write("--- server log during this command\n%s\n" % self.last_server)
        self.last_output = out
        return rc, out

    def local(self, path):
        """A copy of path in the case directory, by its relative name: NuGet 2.8.7 on mono joins an
        absolute package path to the working directory ("Could not find a part of the path")."""
        shutil.copy(path, self.dir)
        return os.path.basename(path)

    def key(self, name="alice"):
        return self.run.keys[name]

    def outdir(self, label):
        d = os.path.join(self.dir, "out-" + label)
        os.makedirs(d, exist_ok=True)
        return d

    # assertions

    def ok(self, rc, out, what):
        if rc != 0:
            raise Fail("%s exited %d: %s" % (what, rc, nuget_failure(out)))

    def rejected(self, rc, out, what, statuses, words=()):
        """nuget.exe must fail, printing one of the HTTP statuses (and one of the words, if given)."""
        if rc == 0:
            raise Fail("%s succeeded but must be refused (%s)" % (what, "/".join(statuses)))
        low = out.lower()
        if not any(s.lower() in low for s in statuses):
            raise Fail("%s failed, but without %s in the output: %s" % (what, " or ".join(statuses), nuget_failure(out)))
        if words and not any(w.lower() in low for w in words):
            raise Fail("%s was refused, but the output does not show the server's reason (expected a word like %s); "
                       "nuget.exe 5.8 shows the HTTP reason phrase and X-NuGet-Warning headers, never the body: %s" % (what, "/".join(repr(w) for w in words), nuget_reason(out)))

    def installed(self, outdir, expected, absent=()):
        """expected: [(id, version)] each installed and byte-identical to the pushed file."""
        got = installed_packages(outdir)
        desc = ", ".join("%s %s" % k for k in sorted(got)) or "nothing"
        for pid, ver in expected:
            k = (pid.lower(), ver.lower())
            if k not in got:
                raise Fail("expected %s %s installed, got %s: %s" % (pid, ver, desc, nuget_reason(self.last_output)))
            want = sha512(self.run.pkg(pid, ver))
            if got[k][1] != want:
                raise Fail("installed %s %s is not byte-identical to the pushed .nupkg (sha512 %s != %s)"
                           % (pid, ver, got[k][1][:16], want[:16]))
        for pid, ver in absent:
            if (pid.lower(), ver.lower()) in got:
                raise Fail("%s %s must not be installed (got %s)" % (pid, ver, desc))

    def listed(self, out, present=(), absent=()):
        pairs = list_lines(out)
        desc = ", ".join("%s %s" % p for p in sorted(pairs)) or "no packages"
        if not pairs and re.search(r"no packages found", out, re.I) is None and present:
            raise Fail("no `Id Version` lines in the output: %s" % nuget_reason(out))
        missing = [p for p in present if (p[0].lower(), p[1].lower()) not in pairs]
        extra = [p for p in absent if (p[0].lower(), p[1].lower()) in pairs]
        if missing or extra:
            msg = []
            if missing:
                msg.append("missing %s" % ", ".join("%s %s" % p for p in missing))
            if extra:
                msg.append("must not show %s" % ", ".join("%s %s" % p for p in extra))
            raise Fail("%s; listed: %s" % ("; ".join(msg), desc))


ACME_V3 = [("Acme.Core", "1.0.0"), ("Acme.Core", "1.1.0"), ("Acme.Core", "2.0.0-beta.1"), ("Acme.App", "1.0.0")]
LEGACY = [("Legacy.Core", "1.0.0"), ("Legacy.Core", "1.1.0"), ("Legacy.Core", "2.0.0-beta.1"), ("Legacy.App", "1.0.0")]


def seed(c, pkgs):
    for pid, ver in pkgs:
        c.run.ensure_pushed(pid, ver)


# ---- v3: push and authorization

@case("v3.push.setapikey")
def _(c):
    """setApiKey stores the key for the v3 source; push without -ApiKey sends it."""
    rc, out = c.nuget("setApiKey", c.key(), "-Source", c.run.v3)
    c.ok(rc, out, "setApiKey")
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.0"), "-Source", c.run.v3)
    c.ok(rc, out, "push -Source v3 (key from setApiKey)")
    if "1.0.0" not in (c.run.flat_versions("Acme.Core") or []):
        raise Fail("push reported success but GET flatcontainer/acme.core/index.json does not list 1.0.0")


@case("v3.push.v2-package-url")
def _(c):
    """The nuget.org documentation form: -Source {base}/api/v2/package -ApiKey KEY."""
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.1.0"), "-Source", c.run.base + "/api/v2/package",
                      "-ApiKey", c.key())
    c.ok(rc, out, "push -Source /api/v2/package")


@case("v3.push.prerelease-and-dependency")
def _(c):
    """SemVer 2.0 prerelease and a package with a dependency, pushed to the v3 source with -ApiKey."""
    for pid, ver in [("Acme.Core", "2.0.0-beta.1"), ("Acme.App", "1.0.0"), ("Other.Lib", "1.0.0")]:
        rc, out = c.nuget("push", c.run.pkg(pid, ver), "-Source", c.run.v3, "-ApiKey", c.key())
        c.ok(rc, out, "push %s %s" % (pid, ver))


@case("v3.push.duplicate")
def _(c):
    seed(c, [("Acme.Core", "1.0.0")])
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.0"), "-Source", c.run.v3, "-ApiKey", c.key())
    c.rejected(rc, out, "pushing an existing version", ["409", "Conflict", "already exists"])


@case("v3.push.skip-duplicate")
def _(c):
    seed(c, [("Acme.Core", "1.0.0")])
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.0"), "-Source", c.run.v3, "-ApiKey", c.key(),
                      "-SkipDuplicate")
    c.ok(rc, out, "push -SkipDuplicate of an existing version")
    if "already exists" not in out.lower():
        raise Fail("push -SkipDuplicate succeeded without nuget reporting 'already exists' (the server must answer 409 "
                   "for an existing id+version; it answered something else): %s" % nuget_reason(out))


@case("v3.push.no-key")
def _(c):
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.2"), "-Source", c.run.v3)
    c.rejected(rc, out, "push without a key", ["401", "403", "Unauthorized", "Forbidden"])


@case("v3.push.wrong-key")
def _(c):
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.3"), "-Source", c.run.v3,
                      "-ApiKey", "not-a-real-key-0123456789abcdef")
    c.rejected(rc, out, "push with an unknown key", ["403", "401"])
    if "403" not in out:
        raise Fail("push with an unknown key: expected 403 (the key is wrong, not missing): %s" % nuget_reason(out))


@case("v3.push.scope-denied")
def _(c):
    """A key scoped to push Acme.* must not push Other.Lib; the server's reason must reach the user."""
    rc, out = c.nuget("push", c.run.pkg("Other.Lib", "0.9.0"), "-Source", c.run.v3, "-ApiKey", c.key("alice-acme"))
    c.rejected(rc, out, "push of Other.Lib with an Acme.*-scoped key", ["403"],
               words=["not allowed", "scope", "glob", "permission", "Acme.*", "not authorized", "does not allow"])


@case("v3.push.scope-allowed")
def _(c):
    """The same scoped key may push an id matching Acme.*."""
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.4"), "-Source", c.run.v3, "-ApiKey", c.key("alice-acme"))
    c.ok(rc, out, "push of Acme.Core 1.0.4 with the Acme.*-scoped key")


@case("v3.push.not-owner")
def _(c):
    """bob may not push a new version of alice's Acme.Core."""
    seed(c, [("Acme.Core", "1.0.0")])
    rc, out = c.nuget("push", c.run.pkg("Acme.Core", "1.0.1"), "-Source", c.run.v3, "-ApiKey", c.key("bob"))
    c.rejected(rc, out, "bob pushing Acme.Core (owned by alice)", ["403"])


# The EICAR anti-virus test file, in two pieces so that this script is not itself reported.
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@case("v3.push.virus")
def _(c):
    """A package carrying the EICAR test file is refused by the scanner (default: builtin, sync) with the
    reason shown to the user, and is never downloadable."""
    path = os.path.join(c.dir, "Evil.Pkg.1.0.0.nupkg")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Evil.Pkg.nuspec", '<?xml version="1.0"?><package><metadata><id>Evil.Pkg</id><version>1.0.0</version>'
                   '<authors>t</authors><description>EICAR inside</description></metadata></package>')
        z.writestr("content/docs/readme.txt", EICAR)
    rc, out = c.nuget("push", path, "-Source", c.run.v3, "-ApiKey", c.key())
    c.rejected(rc, out, "push of a package carrying EICAR", ["400"], words=["failed validation: virus found"])
    status, _, _ = http("GET", c.run.base + "/v3/flatcontainer/evil.pkg/1.0.0/evil.pkg.1.0.0.nupkg")
    if status != 404:
        raise Fail("the refused package is downloadable: GET .nupkg -> %d" % status)


# ---- v3: search (SearchQueryService) and list (LegacyGallery -> v2 Search())

@case("v3.search")
def _(c):
    seed(c, ACME_V3)
    rc, out = c.nuget("search", "Acme", "-Source", c.run.v3, config=False, detailed=False)
    c.ok(rc, out, "search Acme")
    hits = search_hits(out)
    want = {"acme.core": "1.1.0", "acme.app": "1.0.0"}
    bad = {k: hits.get(k) for k, v in want.items() if hits.get(k) != v}
    if bad:
        raise Fail("search Acme: expected %s, got %s" % (want, hits or nuget_reason(out)))


@case("v3.search.prerelease")
def _(c):
    seed(c, ACME_V3)
    rc, out = c.nuget("search", "Acme", "-Source", c.run.v3, "-PreRelease", config=False, detailed=False)
    c.ok(rc, out, "search Acme -PreRelease")
    hits = search_hits(out)
    if hits.get("acme.core") != "2.0.0-beta.1":
        raise Fail("search Acme -PreRelease: expected Acme.Core 2.0.0-beta.1 (SemVer 2.0 with semVerLevel=2.0.0), got %s"
                   % (hits or nuget_reason(out)))


@case("v3.search.description")
def _(c):
    """Non-ASCII and XML/JSON special characters survive the round trip."""
    seed(c, ACME_V3)
    rc, out = c.nuget("search", "Acme.Core", "-Source", c.run.v3, "-Verbosity", "detailed", config=False, detailed=False)
    c.ok(rc, out, "search Acme.Core -Verbosity detailed")
    for frag in ["naïve café, 日本語", "&", "<for>"]:
        if frag not in out:
            raise Fail("description fragment %r not shown by search -Verbosity detailed: %s" % (frag, nuget_reason(out)))


def list_case(name, source_attr, term, flags, present, absent, pkgs):
    @case(name)
    def _(c):
        seed(c, pkgs)
        rc, out = c.nuget("list", term, "-Source", getattr(c.run, source_attr), *flags, detailed=False)
        c.ok(rc, out, " ".join(["list", term] + flags))
        c.listed(out, present, absent)


for grp, src, term, core, app in [("v3", "v3", "Acme", "Acme.Core", "Acme.App"),
                                  ("v2", "v2", "Legacy", "Legacy.Core", "Legacy.App")]:
    pk = ACME_V3 if grp == "v3" else LEGACY
    list_case("%s.list" % grp, src, term, [],
              [(core, "1.1.0"), (app, "1.0.0")], [(core, "1.0.0"), (core, "2.0.0-beta.1")], pk)
    list_case("%s.list.prerelease" % grp, src, term, ["-Prerelease"],
              [(core, "2.0.0-beta.1"), (app, "1.0.0")], [(core, "1.0.0"), (core, "1.1.0")], pk)
    list_case("%s.list.allversions" % grp, src, term, ["-AllVersions"],
              [(core, "1.0.0"), (core, "1.1.0"), (app, "1.0.0")], [(core, "2.0.0-beta.1")], pk)
    list_case("%s.list.allversions-prerelease" % grp, src, term, ["-AllVersions", "-Prerelease"],
              [(core, "1.0.0"), (core, "1.1.0"), (core, "2.0.0-beta.1"), (app, "1.0.0")], [], pk)


# ---- v3: install (registration + flat container)

@case("v3.install.dependency")
def _(c):
    """Acme.App 1.0.0 and its dependency Acme.Core [1.0.0, ). nuget.exe install resolves
    dependencies to the lowest applicable version (-DependencyVersion Lowest is the default),
    so Acme.Core 1.0.0 is installed although 1.1.0 exists."""
    seed(c, ACME_V3)
    out_dir = c.outdir("app")
    rc, out = c.nuget("install", "Acme.App", "-Source", c.run.v3, "-OutputDirectory", out_dir,
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Acme.App")
    c.installed(out_dir, [("Acme.App", "1.0.0"), ("Acme.Core", "1.0.0")], absent=[("Acme.Core", "1.1.0")])


@case("v3.install.latest")
def _(c):
    seed(c, ACME_V3)
    out_dir = c.outdir("latest")
    rc, out = c.nuget("install", "Acme.Core", "-Source", c.run.v3, "-OutputDirectory", out_dir, "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Acme.Core")
    c.installed(out_dir, [("Acme.Core", "1.1.0")], absent=[("Acme.Core", "2.0.0-beta.1")])


@case("v3.install.prerelease")
def _(c):
    seed(c, ACME_V3)
    out_dir = c.outdir("pre")
    rc, out = c.nuget("install", "Acme.Core", "-Source", c.run.v3, "-OutputDirectory", out_dir, "-Prerelease",
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Acme.Core -Prerelease")
    c.installed(out_dir, [("Acme.Core", "2.0.0-beta.1")])


@case("v3.install.deprecated-and-vulnerable")
def _(c):
    """A version whose registration leaf carries `deprecation` and `vulnerabilities` still installs
    with nuget.exe 5.8 (it reads the registration those objects are in). nuget.exe 5.8 has no
    command that shows either; restore audits (NuGetAudit) came with NuGet 6.7."""
    seed(c, [("Other.Lib", "1.0.0")])
    body = json.dumps({"reasons": ["Legacy"], "message": "Use Acme.Core.",
                       "alternatePackage": {"id": "Acme.Core", "range": "[1.0.0, )"}}).encode()
    status, _, resp = http("PUT", c.run.base + "/api/packages/Other.Lib/versions/1.0.0/deprecation", data=body,
                           headers={"X-NuGet-ApiKey": c.key(), "Content-Type": "application/json"})
    if status != 204:
        raise Fail("deprecating Other.Lib 1.0.0 answered %s: %s" % (status, short(resp)))
    # The command re-renders the id's documents, so it must know the server's public URL (as an
    # operator's shares the server's galley.toml).
    cmd = [c.run.galley, "advisory", "add", "Other.Lib", "--range", "[1.0.0, 2.0.0)", "--severity", "high",
           "--url", "https://example.com/advisories/1", "--data-dir", c.run.data_dir]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=c.run.work,
                       env=dict(galley_env(), GALLEY_BASE_URL=c.run.base))
    c.note("$ %s -> %d %s %s" % (" ".join(cmd), p.returncode, p.stdout.strip(), p.stderr.strip()))
    if p.returncode != 0:
        raise Fail("galley advisory add exited %d: %s" % (p.returncode, p.stderr.strip()))
    # The advisory was recorded by another process: the server sees the re-rendered documents at
    # its next check of the id's pointer (once a second); bounded wait.
    url = c.run.base + "/v3/registration/other.lib/index.json"
    entry = {}
    for _ in range(40):
        status, _, reg = http("GET", url)
        leaves = json.loads(reg)["items"][0]["items"] if status == 200 else []
        entry = next((l["catalogEntry"] for l in leaves if l["catalogEntry"]["version"] == "1.0.0"), {})
        if "deprecation" in entry and "vulnerabilities" in entry:
            break
        time.sleep(0.25)
    else:
        raise Fail("the registration leaf of Other.Lib 1.0.0 lacks deprecation or vulnerabilities: %s" % short(json.dumps(entry)))
    c.note("catalogEntry: %s" % json.dumps(entry))
    out_dir = c.outdir("deprecated")
    rc, out = c.nuget("install", "Other.Lib", "-Version", "1.0.0", "-Source", c.run.v3, "-OutputDirectory", out_dir,
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Other.Lib 1.0.0 (deprecated, with an advisory)")
    c.installed(out_dir, [("Other.Lib", "1.0.0")])


# ---- v3: delete (unlist), then the version is hidden from search/list but still installable

@case("v3.delete")
def _(c):
    seed(c, ACME_V3)
    rc, out = c.nuget("delete", "Acme.Core", "1.0.0", "-Source", c.run.v3, "-ApiKey", c.key())
    c.ok(rc, out, "delete Acme.Core 1.0.0")
    c.run.state["v3-deleted"] = True


@case("v3.delete.hidden-from-list")
def _(c):
    seed(c, ACME_V3)
    c.run.ensure_deleted("Acme.Core", "1.0.0", "v3-deleted")
    rc, out = c.nuget("list", "Acme.Core", "-Source", c.run.v3, "-AllVersions", "-Prerelease", detailed=False)
    c.ok(rc, out, "list Acme.Core -AllVersions -Prerelease")
    c.listed(out, [("Acme.Core", "1.1.0"), ("Acme.Core", "2.0.0-beta.1")], [("Acme.Core", "1.0.0")])


@case("v3.delete.hidden-from-search")
def _(c):
    """nuget search shows only the latest version, so this checks the SearchQueryService
    answer the client reads (plain HTTP, same query string as nuget search -PreRelease)."""
    seed(c, ACME_V3)
    c.run.ensure_deleted("Acme.Core", "1.0.0", "v3-deleted")
    query = c.run.resource("SearchQueryService", c.run.base + "/v3/query")
    url = query + "?" + urllib.parse.urlencode({"q": "Acme.Core", "skip": 0, "take": 20, "prerelease": "true",
                                                "semVerLevel": "2.0.0"})
    status, _, body = http("GET", url)
    c.note("GET %s -> %s\n%s" % (url, status, body.decode("utf-8", "replace")))
    if status != 200:
        raise Fail("GET %s -> %s %s" % (url, status, short(body)))
    data = [d for d in json.loads(body).get("data", []) if d.get("id", "").lower() == "acme.core"]
    if not data:
        raise Fail("search q=Acme.Core has no Acme.Core hit: %s" % short(body))
    versions = [v.get("version", "").lower() for v in data[0].get("versions", [])]
    if "1.0.0" in versions or "1.1.0" not in versions:
        raise Fail("search versions of Acme.Core after unlisting 1.0.0: %s (must hide 1.0.0, keep 1.1.0)" % versions)


@case("v3.delete.install-pinned")
def _(c):
    """An unlisted version still restores when asked for exactly."""
    seed(c, ACME_V3)
    c.run.ensure_deleted("Acme.Core", "1.0.0", "v3-deleted")
    out_dir = c.outdir("pinned")
    rc, out = c.nuget("install", "Acme.Core", "-Version", "1.0.0", "-Source", c.run.v3, "-OutputDirectory", out_dir,
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Acme.Core -Version 1.0.0 (unlisted)")
    c.installed(out_dir, [("Acme.Core", "1.0.0")])


# ---- v2 source ({base}/api/v2/): push, list (above), install, delete

@case("v2.push.root")
def _(c):
    """-Source {base}/ (no path): nuget.exe appends api/v2/package/ and PUTs there."""
    rc, out = c.nuget("push", c.run.pkg("Legacy.Core", "1.0.0"), "-Source", c.run.base + "/", "-ApiKey", c.key())
    c.ok(rc, out, "push -Source {base}/")


@case("v2.push.feed")
def _(c):
    """-Source {base}/api/v2/ (the feed URL): nuget.exe PUTs to that URL as given."""
    rc, out = c.nuget("push", c.run.pkg("Legacy.Core", "1.1.0"), "-Source", c.run.v2, "-ApiKey", c.key())
    c.ok(rc, out, "push -Source {base}/api/v2/")


@case("v2.push.duplicate")
def _(c):
    seed(c, [("Legacy.Core", "1.0.0")])
    rc, out = c.nuget("push", c.run.pkg("Legacy.Core", "1.0.0"), "-Source", c.run.v2, "-ApiKey", c.key())
    c.rejected(rc, out, "pushing an existing version to the v2 source", ["409", "Conflict", "already exists"])


@case("v2.install.latest")
def _(c):
    seed(c, LEGACY)
    out_dir = c.outdir("latest")
    rc, out = c.nuget("install", "Legacy.Core", "-Source", c.run.v2, "-OutputDirectory", out_dir, "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Legacy.Core from v2")
    c.installed(out_dir, [("Legacy.Core", "1.1.0")], absent=[("Legacy.Core", "2.0.0-beta.1")])


@case("v2.install.prerelease")
def _(c):
    seed(c, LEGACY)
    out_dir = c.outdir("pre")
    rc, out = c.nuget("install", "Legacy.Core", "-Source", c.run.v2, "-OutputDirectory", out_dir, "-Prerelease",
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Legacy.Core -Prerelease from v2")
    c.installed(out_dir, [("Legacy.Core", "2.0.0-beta.1")])


@case("v2.install.dependency")
def _(c):
    """By version, with a dependency (lowest applicable: Legacy.Core 1.0.0)."""
    seed(c, LEGACY)
    out_dir = c.outdir("app")
    rc, out = c.nuget("install", "Legacy.App", "-Version", "1.0.0", "-Source", c.run.v2, "-OutputDirectory", out_dir,
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Legacy.App -Version 1.0.0 from v2")
    c.installed(out_dir, [("Legacy.App", "1.0.0"), ("Legacy.Core", "1.0.0")], absent=[("Legacy.Core", "1.1.0")])


@case("v2.list.description")
def _(c):
    """list -Verbosity detailed (5.8's replacement for -Verbose) shows the description from the Atom feed: non-ASCII and escaped XML intact."""
    seed(c, LEGACY)
    rc, out = c.nuget("list", "Legacy.Core", "-Source", c.run.v2, "-Verbosity", "detailed", detailed=False)
    c.ok(rc, out, "list Legacy.Core -Verbosity detailed")
    for frag in ["naïve café, 日本語", "&", "<for>"]:
        if frag not in out:
            raise Fail("description fragment %r not shown by list -Verbosity detailed: %s" % (frag, nuget_reason(out)))


@case("v2.delete")
def _(c):
    seed(c, LEGACY)
    rc, out = c.nuget("delete", "Legacy.Core", "1.0.0", "-Source", c.run.v2, "-ApiKey", c.key())
    c.ok(rc, out, "delete Legacy.Core 1.0.0 -Source {base}/api/v2/")
    c.run.state["v2-deleted"] = True


@case("v2.delete.hidden-from-list")
def _(c):
    seed(c, LEGACY)
    c.run.ensure_deleted("Legacy.Core", "1.0.0", "v2-deleted")
    rc, out = c.nuget("list", "Legacy.Core", "-Source", c.run.v2, "-AllVersions", "-Prerelease", detailed=False)
    c.ok(rc, out, "list Legacy.Core -AllVersions -Prerelease")
    c.listed(out, [("Legacy.Core", "1.1.0"), ("Legacy.Core", "2.0.0-beta.1")], [("Legacy.Core", "1.0.0")])


@case("v2.delete.install-pinned")
def _(c):
    seed(c, LEGACY)
    c.run.ensure_deleted("Legacy.Core", "1.0.0", "v2-deleted")
    out_dir = c.outdir("pinned")
    rc, out = c.nuget("install", "Legacy.Core", "-Version", "1.0.0", "-Source", c.run.v2, "-OutputDirectory", out_dir,
                      "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Legacy.Core -Version 1.0.0 (unlisted) from v2")
    c.installed(out_dir, [("Legacy.Core", "1.0.0")])


@case("v2.push.skip-duplicate")
def _(c):
    seed(c, [("Legacy.Core", "1.0.0")])
    rc, out = c.nuget("push", c.run.pkg("Legacy.Core", "1.0.0"), "-Source", c.run.v2, "-ApiKey", c.key(), "-SkipDuplicate")
    c.ok(rc, out, "push -SkipDuplicate of an existing version to the v2 source")
    if "already exists" not in out.lower():
        raise Fail("push -SkipDuplicate succeeded without nuget reporting 'already exists': %s" % nuget_reason(out))


@case("v2.search")
def _(c):
    """nuget search against a v2 source uses the OData Search() function."""
    seed(c, LEGACY)
    rc, out = c.nuget("search", "Legacy", "-Source", c.run.v2, config=False, detailed=False)
    c.ok(rc, out, "search Legacy -Source {base}/api/v2/")
    hits = search_hits(out)
    want = {"legacy.core": "1.1.0", "legacy.app": "1.0.0"}
    if any(hits.get(k) != v for k, v in want.items()):
        raise Fail("search Legacy: expected %s, got %s" % (want, hits or nuget_reason(out)))


def restore_case(name, source_attr, core, app):
    @case(name)
    def _(c):
        """`nuget restore App.sln`: a solution whose project lists its packages in packages.config."""
        seed(c, [(core, "1.0.0"), (core, "1.1.0"), (app, "1.0.0")])
        sln = os.path.join(c.dir, "sln")
        os.makedirs(os.path.join(sln, "App"), exist_ok=True)
        with open(os.path.join(sln, "App.sln"), "w", encoding="utf-8") as f:
            f.write("\nMicrosoft Visual Studio Solution File, Format Version 12.00\n# Visual Studio Version 16\n"
                    'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "App", "App\\App.csproj", '
                    '"{6A5C7E3E-0B0A-4F43-9C5E-5C3E2D3A1B01}"\nEndProject\nGlobal\nEndGlobal\n')
        with open(os.path.join(sln, "App", "App.csproj"), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<Project ToolsVersion="15.0" '
                    'xmlns="http://schemas.microsoft.com/developer/msbuild/2003">\n  <PropertyGroup><OutputType>Library'
                    '</OutputType><TargetFrameworkVersion>v4.7.2</TargetFrameworkVersion></PropertyGroup>\n</Project>\n')
        with open(os.path.join(sln, "App", "packages.config"), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<packages>\n'
                    '  <package id="%s" version="1.0.0" targetFramework="net472" />\n'
                    '  <package id="%s" version="1.1.0" targetFramework="net472" />\n</packages>\n' % (app, core))
        rc, out = c.nuget("restore", os.path.join(sln, "App.sln"), "-Source", getattr(c.run, source_attr),
                          "-NoCache", "-DirectDownload")
        c.ok(rc, out, "restore App.sln (packages.config)")
        c.installed(os.path.join(sln, "packages"), [(app, "1.0.0"), (core, "1.1.0")], absent=[(core, "1.0.0")])


restore_case("v3.restore.packages-config", "v3", "Acme.Core", "Acme.App")
restore_case("v2.restore.packages-config", "v2", "Legacy.Core", "Legacy.App")


# ---- Debian's nuget 2.8.7 (mono) against the v2 source: HTTP/1.0, LF-framed multipart push

DEB = [("Deb.Core", "1.0.0"), ("Deb.Core", "1.1.0"), ("Deb.Core", "2.0.0-beta"), ("Deb.App", "1.0.0")]


@case("nuget2.push.root")
def _(c):
    """-Source {base}/: NuGet 2.8.7 PUTs {base}/api/v2/package/ over HTTP/1.0, its multipart body ending
    in LF before the closing delimiter (refused as malformed before issue 14)."""
    rc, out = c.nuget2("push", c.local(c.run.pkg("Deb.Core", "1.0.0")), c.key(), "-Source", c.run.base + "/")
    c.ok(rc, out, "nuget 2.8.7 push -Source {base}/")
    if "1.0.0" not in (c.run.flat_versions("Deb.Core") or []):
        raise Fail("push reported success but GET flatcontainer/deb.core/index.json does not list 1.0.0")


@case("nuget2.push.feed")
def _(c):
    """-Source {base}/api/v2/ with the rest of the packages (a prerelease, one with a dependency)."""
    for pid, ver in DEB[1:]:
        rc, out = c.nuget2("push", c.local(c.run.pkg(pid, ver)), c.key(), "-Source", c.run.v2)
        c.ok(rc, out, "nuget 2.8.7 push %s %s -Source {base}/api/v2/" % (pid, ver))


@case("nuget2.push.duplicate")
def _(c):
    seed(c, [("Deb.Core", "1.0.0")])
    rc, out = c.nuget2("push", c.local(c.run.pkg("Deb.Core", "1.0.0")), c.key(), "-Source", c.run.base + "/")
    c.rejected(rc, out, "nuget 2.8.7 pushing an existing version", ["409", "Conflict", "already exists"])


def nuget2_list_case(name, args, present, absent):
    @case(name)
    def _(c):
        seed(c, DEB)
        rc, out = c.nuget2("list", *args, "-Source", c.run.v2, tty=True)
        c.ok(rc, out, "nuget 2.8.7 list %s" % " ".join(args))
        c.listed(out, present, absent)


nuget2_list_case("nuget2.list", ["-AllVersions", "-Prerelease"], DEB, [])
nuget2_list_case("nuget2.search", ["Deb"], [("Deb.Core", "1.1.0"), ("Deb.App", "1.0.0")],
                 [("Deb.Core", "1.0.0"), ("Deb.Core", "2.0.0-beta")])
nuget2_list_case("nuget2.search.prerelease", ["Deb", "-Prerelease"], [("Deb.Core", "2.0.0-beta"), ("Deb.App", "1.0.0")],
                 [("Deb.Core", "1.1.0")])


@case("nuget2.install.dependency")
def _(c):
    """Deb.App 1.0.0 depends on Deb.Core [1.0.0, ): 2.8.7 also resolves the lowest applicable version."""
    seed(c, DEB)
    out_dir = c.outdir("app")
    rc, out = c.nuget2("install", "Deb.App", "-Version", "1.0.0", "-Source", c.run.v2, "-OutputDirectory", out_dir, "-NoCache")
    c.ok(rc, out, "nuget 2.8.7 install Deb.App -Version 1.0.0")
    c.installed(out_dir, [("Deb.App", "1.0.0"), ("Deb.Core", "1.0.0")], absent=[("Deb.Core", "1.1.0")])


@case("nuget2.install.latest")
def _(c):
    seed(c, DEB)
    out_dir = c.outdir("latest")
    rc, out = c.nuget2("install", "Deb.Core", "-Source", c.run.v2, "-OutputDirectory", out_dir, "-NoCache")
    c.ok(rc, out, "nuget 2.8.7 install Deb.Core")
    c.installed(out_dir, [("Deb.Core", "1.1.0")], absent=[("Deb.Core", "2.0.0-beta")])


@case("nuget2.delete")
def _(c):
    seed(c, DEB)
    rc, out = c.nuget2("delete", "Deb.Core", "1.0.0", c.key(), "-Source", c.run.base + "/")
    c.ok(rc, out, "nuget 2.8.7 delete Deb.Core 1.0.0")
    c.run.state["nuget2-deleted"] = True


@case("nuget2.delete.hidden-from-list")
def _(c):
    seed(c, DEB)
    c.run.ensure_deleted("Deb.Core", "1.0.0", "nuget2-deleted")
    rc, out = c.nuget2("list", "Deb.Core", "-AllVersions", "-Prerelease", "-Source", c.run.v2, tty=True)
    c.ok(rc, out, "nuget 2.8.7 list Deb.Core -AllVersions -Prerelease")
    c.listed(out, [("Deb.Core", "1.1.0"), ("Deb.Core", "2.0.0-beta")], [("Deb.Core", "1.0.0")])


# ---- nuget.exe 5.8 against a private server ([feed] require_auth = true)

def private_source(c, kind):
    """Stores the private feed with credentials in the case's NuGet.Config, as a user would."""
    feed = c.run.private_feed()
    rc, out = c.nuget("sources", "add", "-Name", "private", "-Source", feed[kind], "-UserName", "alice",
                      "-Password", PASSWORD, detailed=False)
    c.ok(rc, out, "sources add -Name private -UserName alice -Password ...")
    with open(c.cfg, encoding="utf-8") as f:
        cfg = f.read()
    if "<packageSourceCredentials>" not in cfg or 'key="Username" value="alice"' not in cfg:
        raise Fail("sources add did not store the credentials in NuGet.Config: %s" % short(cfg, 400))
    return feed


@case("private.anonymous-refused")
def _(c):
    feed = c.run.private_feed()
    rc, out = c.nuget("install", "Priv.Core", "-Source", feed["v3"], "-OutputDirectory", c.outdir("anon"),
                      "-NoCache", "-DirectDownload")
    c.rejected(rc, out, "install from the private feed without credentials", ["401", "Unauthorized"])


@case("private.v3.install")
def _(c):
    private_source(c, "v3")
    out_dir = c.outdir("priv")
    rc, out = c.nuget("install", "Priv.Core", "-Source", "private", "-OutputDirectory", out_dir, "-NoCache", "-DirectDownload")
    c.ok(rc, out, "install Priv.Core -Source private (credentials from NuGet.Config)")
    c.installed(out_dir, [("Priv.Core", "1.0.0")])


@case("private.v2.list")
def _(c):
    private_source(c, "v2")
    rc, out = c.nuget("list", "Priv", "-Source", "private", detailed=False)
    c.ok(rc, out, "list Priv -Source private (credentials from NuGet.Config)")
    c.listed(out, [("Priv.Core", "1.0.0")])



# ---- symbols: a real assembly and its portable PDB, packed and pushed by nuget.exe

CLR_LOADER = os.environ.get("CLR_LOADER_DIR", os.path.join(ROOT, "target", "test-tools", "clr-loader"))


def codeview_key(dll):
    """The SSQP key of the portable PDB an assembly names, read here from the PE debug directory
    (independently of Galley's reader): the CodeView GUID in its textual order, then FFFFFFFF."""
    pe = struct.unpack_from("<I", dll, 0x3C)[0]
    if dll[pe:pe + 4] != b"PE\0\0":
        raise Fail("ClrLoader.dll is not a PE file")
    sections, optional_size = struct.unpack_from("<H", dll, pe + 6)[0], struct.unpack_from("<H", dll, pe + 20)[0]
    optional = pe + 24
    dirs = optional + (96 if struct.unpack_from("<H", dll, optional)[0] == 0x10B else 112)
    debug_rva, debug_size = struct.unpack_from("<II", dll, dirs + 6 * 8)
    table = optional + optional_size
    for i in range(sections):
        vsize, va, _, raw = struct.unpack_from("<IIII", dll, table + 40 * i + 8)
        if va <= debug_rva < va + vsize:
            at = debug_rva - va + raw
            break
    else:
        raise Fail("ClrLoader.dll has no section holding its debug directory")
    for entry in range(at, at + debug_size, 28):
        typ, size, _, pointer = struct.unpack_from("<IIII", dll, entry + 12)
        if typ == 2 and dll[pointer:pointer + 4] == b"RSDS":
            return uuid.UUID(bytes_le=bytes(dll[pointer + 4:pointer + 20])).hex + "ffffffff"
    raise Fail("ClrLoader.dll has no CodeView entry")


@case("symbols.push-and-fetch")
def _(c):
    """nuget.exe packs a .nupkg and a .snupkg from the real ClrLoader.dll/.pdb (clr-loader 0.3.1),
    pushes the .nupkg (and with it the .snupkg, as the index lists SymbolPackagePublish), then the
    symbol server answers the PDB's key with the original bytes."""
    wheels = glob.glob(os.path.join(CLR_LOADER, "clr_loader-0.3.1-*.whl"))
    if not wheels:
        raise Fail("no clr-loader 0.3.1 wheel in %s (./test.sh downloads it)" % CLR_LOADER)
    lib = os.path.join(c.dir, "src", "lib", "netstandard2.0")
    os.makedirs(lib)
    with zipfile.ZipFile(wheels[0]) as wheel:
        dll = wheel.read("clr_loader/ffi/dlls/amd64/ClrLoader.dll")
        pdb = wheel.read("clr_loader/ffi/dlls/amd64/ClrLoader.pdb")
    for name, data in (("ClrLoader.dll", dll), ("ClrLoader.pdb", pdb)):
        with open(os.path.join(lib, name), "wb") as f:
            f.write(data)
    spec = os.path.join(c.dir, "src", "Sym.ClrLoader.nuspec")
    with open(spec, "w", encoding="utf-8") as f:
        f.write("""<?xml version="1.0"?>
<package><metadata><id>Sym.ClrLoader</id><version>0.3.1</version><authors>clr-loader authors</authors>
<description>ClrLoader.dll from the clr-loader wheel (MIT), to test symbols.</description></metadata>
<files><file src="lib/**" target="lib" /></files></package>
""")
    out = c.outdir("pack")
    rc, output = c.nuget("pack", spec, "-Symbols", "-SymbolPackageFormat", "snupkg", "-OutputDirectory", out,
                         "-BasePath", os.path.join(c.dir, "src"), "-NoPackageAnalysis")
    c.ok(rc, output, "pack -Symbols -SymbolPackageFormat snupkg")
    nupkg = os.path.join(out, "Sym.ClrLoader.0.3.1.nupkg")
    if not os.path.isfile(os.path.join(out, "Sym.ClrLoader.0.3.1.snupkg")):
        raise Fail("nuget pack wrote no .snupkg: %s" % ", ".join(os.listdir(out)))
    rc, output = c.nuget("push", nupkg, "-Source", c.run.v3, "-ApiKey", c.key())
    c.ok(rc, output, "push Sym.ClrLoader 0.3.1 (and its .snupkg)")
    key = codeview_key(dll)
    status, _, body = http("GET", "%s/symbols/clrloader.pdb/%s/clrloader.pdb" % (c.run.base, key))
    if status != 200:
        raise Fail("GET /symbols/clrloader.pdb/%s/clrloader.pdb answered %s: %s" % (key, status, short(body)))
    if body != pdb:
        raise Fail("the symbol server's ClrLoader.pdb differs from the original (%d bytes, %d expected)" % (len(body), len(pdb)))
    status, _, body = http("GET", c.run.base + "/api/v2/symbolpackage/Sym.ClrLoader/0.3.1")
    with open(os.path.join(out, "Sym.ClrLoader.0.3.1.snupkg"), "rb") as f:
        if status != 200 or body != f.read():
            raise Fail("GET /api/v2/symbolpackage/Sym.ClrLoader/0.3.1 did not return the pushed .snupkg (%s)" % status)


# --------------------------------------------------------------------------- main

def ordered_cases():
    """Pushes first, then reads, then deletes and what follows them (stable within a group)."""
    def phase(name):
        if ".push." in name:
            return 0
        if ".delete" in name:
            return 3 if name.endswith(".delete") else 4
        return 1 if ".list" in name or ".search" in name else 2
    groups = {"v3": 0, "v2": 1, "nuget2": 2, "private": 3, "symbols": 4}
    return sorted(CASES, key=lambda nc: (groups[nc[0].split(".")[0]], phase(nc[0])))


def selected(name, tokens):
    if not tokens:
        return True
    return any(name.startswith(t) for t in tokens)


def main():
    tokens = [t.strip() for t in os.environ.get("CASES", "").split(",") if t.strip()]
    todo = [(n, f) for n, f in ordered_cases() if selected(n, tokens)]
    if not todo:
        print("no case matches CASES=%s; cases: %s" % (os.environ.get("CASES"), ", ".join(n for n, _ in CASES)))
        return 2
    if os.path.isdir(LOG_DIR):
        shutil.rmtree(LOG_DIR)
    os.makedirs(LOG_DIR)
    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    run = Run()
    SERVER["work"] = run.work
    try:
        run.find_tools()
        print("galley:   %s\nnuget:    %s (mono %s)\nnuget2:   %s\nserver:   %s\nlogs:     %s"
              % (run.galley, run.nuget_exe, run.mono, run.nuget2 or "not found (apt-get install nuget)", run.base, LOG_DIR))
        run.prepare_home()
        run.start_server()
        run.create_users_and_keys()
        run.pack_all()
    except (SetupError, subprocess.TimeoutExpired) as e:
        print("FAIL setup: %s" % e)
        print("logs: %s" % LOG_DIR)
        print("0 passed, %d failed" % (len(todo) + 1))
        return 2

    passed = failed = 0
    for name, fn in todo:
        c = C(run, name)
        try:
            fn(c)
            result = None
        except Fail as e:
            result = str(e)
        except Exception as e:  # a bug in a case or an unexpected answer: report it, keep going
            result = "%s: %s" % (type(e).__name__, e)
            c.note(traceback.format_exc())
        c.note("result: %s" % (result or "PASS"))
        if result is None:
            passed += 1
            print("PASS %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, result))
            if VERBOSE:
                for line in c.last_output.strip().splitlines()[-8:]:
                    print("    nuget | %s" % line[:300])
                for line in c.last_server.splitlines()[-15:]:
                    print("    server| %s" % line[:300])
        sys.stdout.flush()
        if SERVER["proc"].poll() is not None:
            print("FAIL server: galley exited with %d during %s; tail: %s"
                  % (SERVER["proc"].returncode, name, short(run.server_tail(), 600)))
            failed += 1 + len(todo) - passed - failed
            break

    cleanup()
    print("logs: %s (one .log per case, server.log, packages/)" % LOG_DIR)
    if os.environ.get("KEEP_TMP") == "1":
        print("work dir kept: %s" % run.work)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
