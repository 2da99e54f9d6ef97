#!/usr/bin/env python3
"""Galley behind Debian's nginx as a TLS-terminating reverse proxy under the path prefix /nuget/.

The test makes a self-signed certificate with openssl, writes the nginx configuration that
docs/deploy.md shows (nginx.conf.in beside this file), starts nginx with its own prefix folder
and Galley on free loopback ports, and checks through https://127.0.0.1:PORT/nuget/:
- the service index and feed documents name only https://…/nuget/ URLs;
- the real nuget.exe 5.8 (mono, trusting the certificate through cert-sync in its own HOME)
  pushes and restores through the proxy;
- sign-in over HTTP: the portal form's cookies carry Path=/nuget, Secure, HttpOnly; the redirect
  and every link, form action and static asset of the pages stay under /nuget/;
- the same sign-in in Chromium (signin.mjs, Playwright with ignoreHTTPSErrors): every request the
  pages make stays under the prefix, none fails, the session cookie is Secure and HttpOnly;
- the client address in Galley's log is the one nginx forwarded (trusted proxy), and
  X-Forwarded-Proto from nginx makes the cookie Secure even when base_url is plain http.

Every process is stopped by its PID; every wait has a deadline. Exit 0 when all checks pass.
Environment: GALLEY_BIN, NUGET_EXE (as tests/clients/run.py), MONO.
"""
import http.client as httplib
from http import cookiejar
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import NoRedirect, free_port, http_via, stop  # noqa: E402 (the shared helpers of the loopback suites)
import nginx as nginx_server  # noqa: E402 (Debian's nginx with its own prefix folder)
import nuget as nuget_exe  # noqa: E402 (where nuget.exe is, and its environment)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
GALLEY = os.environ.get("GALLEY_BIN", os.path.join(ROOT, "target", "debug", "galley"))
PASSWORD = "pw-proxy-12345"
FAILURES = []
PROCS = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


def opener(jar=None):
    handlers = [urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=CTX), NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def http(op, method, url, data=None, headers=None):
    return http_via(op, method, url, data, headers)


def wait_for(url, op, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if http(op, "GET", url)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def galley_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("GALLEY_")}


def cli(args, data_dir, config, stdin=None):
    return subprocess.run([GALLEY] + args + ["--data-dir", data_dir, "--config", config], input=stdin,
                          capture_output=True, text=True, timeout=60, env=galley_env())


def start_galley(work, name, port, base_url):
    data_dir = os.path.join(work, name)
    config = os.path.join(work, name + ".toml")
    with open(config, "w") as f:
        f.write('listen = "127.0.0.1:%d"\nbase_url = "%s"\n[server]\ntrusted_proxies = ["127.0.0.1"]\n'
                '[accounts]\nbcrypt_cost = 4\n[log]\nlevel = "info"\n' % (port, base_url))
    cli(["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"], data_dir, config, PASSWORD + "\n")
    key = cli(["apikey", "create", "--user", "alice", "--name", "ci"], data_dir, config).stdout.split()[-1]
    log = open(os.path.join(work, name + ".log"), "wb")
    proc = subprocess.Popen([GALLEY, "serve", "--data-dir", data_dir, "--config", config], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=galley_env())
    PROCS.append(proc)
    return key


def nginx_site(work, listen, upstream):
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        site = f.read().replace("@GALLEY@", "127.0.0.1:%d" % upstream)
    site = site.replace("@CERT@", os.path.join(work, "cert.pem")).replace("@KEY@", os.path.join(work, "key.pem"))
    return site.replace("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % listen)


def portal_paths(html):
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


def main():
    work = tempfile.mkdtemp(prefix="galley-proxy-", dir=os.path.join(ROOT, "target"))
    try:
        run(work)
    finally:
        for proc in reversed(PROCS):
            stop(proc)
        if os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % len(FAILURES))
    sys.exit(1 if FAILURES else 0)


def run(work):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", os.path.join(work, "key.pem"),
                    "-out", os.path.join(work, "cert.pem")], check=True, capture_output=True, timeout=60)
    gport, nport, plain_port = free_port(), free_port(), free_port()
    public = "https://127.0.0.1:%d/nuget" % nport
    key = start_galley(work, "galley", gport, public)
    nginx = nginx_server.start(os.path.join(work, "nginx"), nginx_site(work, nport, gport))
    PROCS.append(nginx)
    op = opener()
    if not wait_for("http://127.0.0.1:%d/health" % gport, op) or not wait_for(public + "/health", op):
        check(False, "galley and nginx answer /health (nginx: %s)" % (nginx.poll(),))
        return

    # Feeds: every URL the service index and the documents name is under the public prefix.
    status, _, body = http(op, "GET", public + "/v3/index.json")
    index = json.loads(body)
    ids = [r["@id"] for r in index["resources"]]
    check(status == 200 and ids and all(i.startswith(public + "/") for i in ids), "service index URLs are under %s/" % public)
    status, _, body = http(op, "GET", public + "/api/v2/")
    check(status == 200 and ('xml:base="%s/api/v2' % public).encode() in body, "v2 service document's base is under the prefix")

    # The real client pushes and restores through the proxy.
    nuget_client(work, public, key)

    # HTTP sign-in through the proxy, as a browser does it: form cookie, form post, session cookie.
    jar = cookiejar.CookieJar()
    browser = opener(jar)
    status, headers, body = http(browser, "GET", public + "/users/account/LogOn")
    page = body.decode()
    form_cookie = [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("galley_form=")]
    check(status == 200 and form_cookie and "Path=/nuget" in form_cookie[0] and "Secure" in form_cookie[0],
          "the sign-in page's form cookie has Path=/nuget and Secure: %s" % form_cookie)
    paths = [p for p in portal_paths(page) if p.startswith("/")]
    check(paths and all(p.startswith("/nuget/") or p == "/nuget" for p in paths),
          "every root-relative link, form and asset of the sign-in page is under /nuget/: %s"
          % [p for p in paths if not p.startswith("/nuget")])
    assets = [p for p in portal_paths(page) if "/static/" in p]
    for asset in assets[:4]:
        url = "https://127.0.0.1:%d%s" % (nport, asset) if asset.startswith("/") else asset
        check(http(browser, "GET", url)[0] == 200, "static asset %s loads through the proxy" % asset)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    # `action=""`: the form posts back to the page's own (prefixed) URL, as a browser resolves it.
    action = re.search(r'<form[^>]*method="post" action="([^"]*)"', page)
    check(bool(csrf and action and action.group(1) in ("", "/nuget/users/account/LogOn")),
          "the sign-in form posts to its own page and carries its CSRF field")
    if csrf and action:
        form = urllib.parse.urlencode({"csrf": csrf.group(1), "username": "alice", "password": PASSWORD,
                                       "returnUrl": "/nuget/account"}).encode()
        status, headers, _ = http(browser, "POST", public + "/users/account/LogOn", form,
                                  {"Content-Type": "application/x-www-form-urlencoded"})
        session = [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("galley_session=")]
        location = headers.get("Location") or ""
        check(status == 303 and location.startswith("/nuget/"), "sign-in redirects under /nuget/ (%s %s)" % (status, location))
        check(session and all(a in session[0] for a in ("Path=/nuget", "Secure", "HttpOnly", "SameSite=Lax")),
              "the session cookie has Path=/nuget, Secure, HttpOnly, SameSite=Lax: %s" % session)
        status, _, body = http(browser, "GET", "https://127.0.0.1:%d/nuget/account" % nport)
        paths = [p for p in portal_paths(body.decode()) if p.startswith("/")]
        check(status == 200 and b"alice" in body, "the account page answers signed in through the proxy (%s)" % status)
        check(all(p.startswith("/nuget") for p in paths),
              "every link of the account page is under /nuget/: %s" % [p for p in paths if not p.startswith("/nuget")])
    # The same sign-in in Chromium (Playwright, installed by tests/browser/run.sh).
    playwright = os.path.join(ROOT, "target", "browser-tools", "node_modules", "playwright-core")
    if shutil.which("node") and os.path.isdir(playwright) and os.path.exists("/usr/bin/chromium"):
        b = subprocess.run(["node", os.path.join(HERE, "signin.mjs"), public, "alice", PASSWORD], capture_output=True,
                           text=True, timeout=180, env=dict(os.environ, GALLEY_BIN=os.path.abspath(GALLEY)))
        for line in b.stdout.splitlines():
            if line.startswith(("ok - ", "FAIL - ")):
                check(line.startswith("ok - "), "browser: " + line.split(" - ", 1)[1])
        check(b.returncode == 0, "the browser sign-in through the proxy passes" + ("" if b.returncode == 0 else ": " + (b.stdout + b.stderr)[-400:]))
    else:
        check(False, "node, playwright-core (tests/browser/run.sh installs it) and /usr/bin/chromium are present")

    # The client address: nginx appends the peer to X-Forwarded-For; Galley trusts 127.0.0.1 (nginx)
    # only, so a browser on 127.0.0.9 is logged as itself and the address it forged is ignored.
    conn = httplib.HTTPSConnection("127.0.0.1", nport, context=CTX, timeout=20, source_address=("127.0.0.9", 0))
    conn.request("GET", "/nuget/v3/index.json?probe=1", headers={"X-Forwarded-For": "6.6.6.6"})
    check(conn.getresponse().status == 200, "a request from 127.0.0.9 through nginx answers 200")
    conn.close()
    time.sleep(0.5)  # the log line is written after the response
    with open(os.path.join(work, "galley.log"), encoding="utf-8", errors="replace") as f:
        lines = [l for l in f if "galley::request" in l and 'path="/v3/index.json"' in l]
    check(any("client=127.0.0.9" in l for l in lines) and not any("6.6.6.6" in l for l in lines),
          "Galley logs the forwarded client address, not the forged one: %s" % lines[-1:])

    # base_url left plain http: the Secure flag follows nginx's X-Forwarded-Proto, only from a trusted proxy.
    start_galley(work, "plain", plain_port, "")
    if wait_for("http://127.0.0.1:%d/health" % plain_port, op):
        status, headers, _ = http(op, "GET", "http://127.0.0.1:%d/users/account/LogOn" % plain_port,
                                  headers={"X-Forwarded-Proto": "https"})
        cookie = " ".join(c for c in headers.get_all("Set-Cookie") or [] if c.startswith("galley_form="))
        check("Secure" in cookie, "X-Forwarded-Proto: https from a trusted proxy marks the cookie Secure: %s" % cookie)
        status, headers, _ = http(op, "GET", "http://127.0.0.1:%d/users/account/LogOn" % plain_port)
        cookie = " ".join(c for c in headers.get_all("Set-Cookie") or [] if c.startswith("galley_form="))
        check(cookie and "Secure" not in cookie, "without it the cookie is not Secure: %s" % cookie)
        conn = httplib.HTTPConnection("127.0.0.1", plain_port, timeout=20, source_address=("127.0.0.9", 0))
        conn.request("GET", "/users/account/LogOn", headers={"X-Forwarded-Proto": "https"})
        cookie = " ".join(c for c in conn.getresponse().headers.get_all("Set-Cookie") or [] if c.startswith("galley_form="))
        conn.close()
        check(cookie and "Secure" not in cookie, "X-Forwarded-Proto from an untrusted peer is ignored: %s" % cookie)
    else:
        check(False, "the second galley answers /health")


def tail(p):
    """The end of a failed command's output, for the FAIL line."""
    return "" if p.returncode == 0 else " (exit %d: %s)" % (p.returncode, (p.stdout + p.stderr)[-400:])


def nuget_client(work, public, key):
    exe, mono = nuget_exe.find_exe(ROOT), nuget_exe.mono()
    if not exe or not mono:
        check(False, "nuget.exe and mono are installed (NUGET_EXE=%s, mono=%s)" % (exe, mono))
        return
    env = nuget_exe.client_env(work)
    # Mono has its own trust store: cert-sync --user puts the test's certificate into $HOME's.
    sync = subprocess.run(["cert-sync", "--user", os.path.join(work, "cert.pem")], capture_output=True, text=True,
                          timeout=120, env=env)
    check(sync.returncode == 0, "cert-sync --user trusts the test certificate for mono (%s)" % sync.stderr[-200:])
    cfg = os.path.join(work, "NuGet.Config")
    with open(cfg, "w") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear />'
                '<add key="galley" value="%s/v3/index.json" protocolVersion="3" /></packageSources></configuration>' % public)
    spec = os.path.join(work, "Proxy.Lib.nuspec")
    with open(spec, "w") as f:
        f.write('<?xml version="1.0"?><package><metadata><id>Proxy.Lib</id><version>1.0.0</version><authors>t</authors>'
                '<description>through nginx</description></metadata><files><file src="readme.txt" target="content" />'
                '</files></package>')
    with open(os.path.join(work, "readme.txt"), "w") as f:
        f.write("packed by tests/proxy/run.py\n")

    def nuget(*args):
        p = subprocess.run([mono, exe] + list(args) + ["-NonInteractive", "-ConfigFile", cfg], capture_output=True,
                           text=True, timeout=240, cwd=work, env=env, stdin=subprocess.DEVNULL)
        with open(os.path.join(work, "nuget.log"), "a") as f:
            f.write("$ nuget %s\n%s\n%s\n" % (" ".join(a if a != key else "<key>" for a in args), p.stdout, p.stderr))
        return p

    p = nuget("pack", spec, "-OutputDirectory", work, "-NoPackageAnalysis")
    check(p.returncode == 0, "nuget pack" + tail(p))
    p = nuget("push", os.path.join(work, "Proxy.Lib.1.0.0.nupkg"), "-Source", public + "/v3/index.json", "-ApiKey", key)
    check(p.returncode == 0 and "Your package was pushed" in p.stdout,
          "nuget.exe push through nginx over TLS under /nuget/" + tail(p))
    out = os.path.join(work, "installed")
    p = nuget("install", "Proxy.Lib", "-Version", "1.0.0", "-Source", public + "/v3/index.json", "-OutputDirectory", out)
    check(p.returncode == 0 and os.path.isdir(os.path.join(out, "Proxy.Lib.1.0.0")),
          "nuget.exe install (restore) through nginx" + tail(p))


if __name__ == "__main__":
    main()
