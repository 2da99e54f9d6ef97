#!/usr/bin/env python3
"""Operations suite: what an operator sees of a running `galley` binary.

- `galley --version` names the crate version.
- `[log] format = "json"` with standard error not a terminal: every line is one JSON object, no
  ANSI colour codes; each request has one line with method, route pattern, status, duration,
  client address and user; no API key, password, session cookie or emailed token appears.
- `/metrics` (with `[metrics] token`) parses with Prometheus's own text parser (the Python
  `prometheus_client` package) and counts the requests, the push and its scan made here.
- the binary links only libc and friends (`ldd`; the debug binary the test command builds: the
  release build differs only in optimisation, not in what it links);
- `systemd-analyze verify` accepts contrib/systemd/galley.service, when systemd-analyze exists.

Bounded: one server on a free loopback port over a temp data dir, stopped by its PID; every
wait has a deadline. Exit 0 when every check passes, 1 otherwise.
Environment: GALLEY_BIN (default <repo>/target/debug/galley).
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import free_port, http_via  # noqa: E402 (the shared helpers of the loopback suites)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GALLEY = os.environ.get("GALLEY_BIN", os.path.join(ROOT, "target", "debug", "galley"))
PASSWORD = "pw-ops-Secret-123"
METRICS_TOKEN = "scrape-token-ops-42"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
FAILURES = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


def http(method, url, data=None, headers=None):
    return http_via(OPENER, method, url, data, headers, timeout=15)


def env():
    # The harness's own GALLEY_BIN is not a configuration key; GALLEY_LOG would replace [log] level.
    e = {k: v for k, v in os.environ.items() if not k.startswith("GALLEY_") and k != "NO_COLOR"}
    return e


def nupkg(pid, version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("%s.nuspec" % pid, (
            '<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">'
            "<metadata><id>%s</id><version>%s</version><authors>ops</authors><description>ops suite</description>"
            "</metadata></package>") % (pid, version))
        z.writestr("lib/net8.0/_._", "")
    return buf.getvalue()


def put(base, key, data):
    boundary = uuid.uuid4().hex
    body = (("--%s\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + data
            + ("\r\n--%s--\r\n" % boundary).encode())
    return http("PUT", base + "/api/v2/package", body,
                {"X-NuGet-ApiKey": key, "Content-Type": "multipart/form-data; boundary=" + boundary})


def cli(args, data_dir, config, stdin=None):
    return subprocess.run([GALLEY] + args + ["--data-dir", data_dir, "--config", config], input=stdin,
                          capture_output=True, text=True, timeout=60, env=env())


def main():
    work = tempfile.mkdtemp(prefix="galley-ops-", dir=os.path.join(ROOT, "target"))
    proc = None
    try:
        version = subprocess.run([GALLEY, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        cargo_version = re.search(r'^version = "([^"]+)"', open(os.path.join(ROOT, "Cargo.toml")).read(), re.M).group(1)
        check(version == "galley " + cargo_version, "galley --version prints 'galley %s' (got %r)" % (cargo_version, version))

        ldd = subprocess.run(["ldd", GALLEY], capture_output=True, text=True, timeout=30).stdout
        libs = [l.split()[0] for l in ldd.splitlines() if l.strip()]
        allowed = re.compile(r"^(linux-vdso\.so|/lib64/ld-linux|/lib/ld-linux|lib(c|m|gcc_s|pthread|dl|rt)\.so)")
        extra = [l for l in libs if not allowed.match(l)]
        check(libs and not extra, "%s links only libc and friends (extra: %s)" % (os.path.basename(GALLEY), extra or "none"))

        # The unit file, with ExecStart pointing at the binary under test (systemd-analyze needs it to exist).
        if shutil.which("systemd-analyze"):
            unit = os.path.join(work, "galley.service")
            with open(os.path.join(ROOT, "contrib", "systemd", "galley.service")) as f:
                text = f.read().replace("/usr/local/bin/galley", os.path.abspath(GALLEY))
            with open(unit, "w") as f:
                f.write(text)
            v = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True, timeout=60)
            check(v.returncode == 0 and not v.stderr.strip(), "systemd-analyze verify galley.service: %r" % v.stderr[-300:])
        else:
            print("SKIP systemd-analyze is not installed: the unit file is not verified")

        data_dir = os.path.join(work, "data")
        config = os.path.join(work, "galley.toml")
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        with open(config, "w") as f:
            f.write('listen = "127.0.0.1:%d"\n[log]\nformat = "json"\nlevel = "info"\n'
                    '[metrics]\nenabled = true\ntoken = "%s"\n[accounts]\nbcrypt_cost = 4\n' % (port, METRICS_TOKEN))
        user = cli(["user", "add", "opsuser", "--email", "ops@example.com", "--password-stdin"], data_dir, config, PASSWORD + "\n")
        key = cli(["apikey", "create", "--user", "opsuser", "--name", "ci"], data_dir, config)
        if user.returncode or key.returncode:
            check(False, "setup: user add / apikey create (%s %s)" % (user.stderr[-300:], key.stderr[-300:]))
            return
        api_key = key.stdout.split()[-1]

        # Text format through the environment layer, standard error a pipe: plain lines, no colour;
        # a job with nothing to do logs at DEBUG only.
        def job(level):
            return subprocess.run([GALLEY, "job", "purge-expired", "--data-dir", data_dir, "--config", config],
                                  capture_output=True, text=True, timeout=60,
                                  env=dict(env(), GALLEY_LOG__FORMAT="text", GALLEY_LOG__LEVEL=level))
        quiet, verbose = job("info"), job("debug")
        check(quiet.returncode == 0 and "job" not in quiet.stderr, "an idle job writes nothing at INFO: %r" % quiet.stderr[-300:])
        check("job done, nothing to do" in verbose.stderr and "\x1b[" not in verbose.stderr
              and not verbose.stderr.lstrip().startswith("{"), "at DEBUG it logs plain text lines: %r" % verbose.stderr[-300:])

        log_path = os.path.join(work, "server.log")
        log = open(log_path, "wb")  # a file: not a terminal, so no colour codes may appear
        proc = subprocess.Popen([GALLEY, "serve", "--data-dir", data_dir, "--config", config], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env())
        deadline = time.time() + 30
        while time.time() < deadline and proc.poll() is None:
            try:
                if http("GET", base + "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        check(proc.poll() is None, "galley serve is up")

        status, _, body = put(base, api_key, nupkg("Ops.Lib", "1.0.0"))
        check(status == 201, "push answers 201 (got %s %r)" % (status, body[:200]))
        status, _, _ = http("GET", base + "/v3/flatcontainer/ops.lib/index.json")
        check(status == 200, "restore index answers 200")
        # Secrets the log must never carry: the password (sign-in body), the session cookie, a query token.
        status, headers, body = http("POST", base + "/api/account/signin",
                                     json.dumps({"username": "opsuser", "password": PASSWORD}).encode(),
                                     {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7"})
        cookie = (headers.get("Set-Cookie") or "").split(";")[0]
        check(status == 200 and cookie.startswith("galley_session="), "sign-in answers 200 with a session cookie (%s)" % status)
        status, _, _ = http("GET", base + "/api/account", headers={"Cookie": cookie})
        check(status == 200, "GET /api/account with the session answers 200 (got %s)" % status)
        http("GET", base + "/account/reset-password?token=query-token-secret-77")

        status, headers, text = http("GET", base + "/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN})
        check(status == 200, "scrape with the token answers 200 (got %s)" % status)
        families = {f.name: f for f in text_string_to_metric_families(text.decode())}

        def sample(family, suffix, **labels):
            f = families.get(family)
            for s in (f.samples if f else []):
                if s.name == family + suffix and all(s.labels.get(k) == v for k, v in labels.items()):
                    return s.value
            return None

        for name in ("galley_build_info", "galley_http_requests", "galley_http_request_duration_seconds", "galley_pushes",
                     "galley_scans", "galley_scan_duration_seconds", "galley_cache_hits", "galley_cache_misses",
                     "galley_database_bytes", "galley_data_dir_bytes", "galley_disk_free_bytes"):
            check(name in families, "metric family %s is exposed" % name)
        check((sample("galley_http_requests", "_total", route="feed_v3", status="2xx") or 0) >= 1, "requests{feed_v3,2xx} counted")
        check((sample("galley_http_requests", "_total", route="publish", status="2xx") or 0) >= 1, "requests{publish,2xx} counted")
        check((sample("galley_http_request_duration_seconds", "_count", route="feed_v3") or 0) >= 1, "feed_v3 latency observed")
        check(sample("galley_http_request_duration_seconds", "_bucket", route="feed_v3", le="+Inf")
              == sample("galley_http_request_duration_seconds", "_count", route="feed_v3"), "+Inf bucket equals the count")
        check(sample("galley_pushes", "_total", outcome="published") == 1, "pushes{published} is 1")
        check(sample("galley_scans", "_total", result="clean") == 1, "scans{clean} is 1")
        check((sample("galley_cache_misses", "_total", cache="documents") or -1) >= 0, "document cache counted")
        check((sample("galley_database_bytes", "") or 0) > 0, "database size is reported")
        check((sample("galley_disk_free_bytes", "") or 0) > 0, "free disk is reported")
        status, _, _ = http("GET", base + "/metrics")
        check(status == 401, "scrape without the token answers 401 (got %s)" % status)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # by PID
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    try:
        raw = open(os.path.join(work, "server.log"), "rb").read().decode("utf-8", "replace")
        check("\x1b[" not in raw, "no ANSI escape in the log written to a file")
        lines = [l for l in raw.splitlines() if l.strip()]
        parsed = []
        for l in lines:
            try:
                parsed.append(json.loads(l))
            except ValueError:
                check(False, "log line is JSON: %r" % l[:200])
        check(len(parsed) == len(lines) and parsed, "every log line is a JSON object (%d lines)" % len(lines))
        requests = [p for p in parsed if p.get("target") == "galley::request"]
        fields = {"method", "route", "path", "status", "ms", "client", "user", "level", "timestamp"}
        check(requests and all(fields <= set(p) for p in requests), "request lines carry %s" % sorted(fields))
        push = [p for p in requests if p.get("method") == "PUT"]
        check(push and push[0]["user"] == "opsuser" and push[0]["route"] == "/api/v2/package" and push[0]["status"] == 201
              and push[0]["client"] == "127.0.0.1", "the push line names route, status, client and user: %s" % (push[:1],))
        flat = [p for p in requests if p.get("route") == "/v3/flatcontainer/{id}/index.json"]
        check(bool(flat), "restore lines carry the route pattern")
        account = [p for p in requests if p.get("path") == "/api/account"]
        check(account and account[0]["user"] == "opsuser", "a session request's line names its user")
        signin = [p for p in requests if p.get("path") == "/api/account/signin"]
        check(signin and signin[0]["client"] == "127.0.0.1", "X-Forwarded-For from an untrusted peer is ignored")
        for secret, what in ((api_key, "API key"), (PASSWORD, "password"), (cookie.split("=", 1)[-1], "session cookie"),
                             ("query-token-secret-77", "emailed token"), (METRICS_TOKEN, "metrics token")):
            check(secret and secret not in raw, "the %s never appears in the log" % what)
        check(not any("tokio_cron_scheduler" in p.get("target", "") for p in parsed), "no tokio-cron-scheduler lines")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % len(FAILURES))
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
