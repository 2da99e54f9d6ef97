#!/usr/bin/env python3
"""OpenID Connect sign-in against a real provider: the `oidc-provider` package (node), run by this
test on loopback (provider.mjs beside this file), and Galley's debug binary.

Over HTTP (urllib, one cookie jar per browser), through the provider's own login and consent
pages:
- first sign-in creates the account (username and email from the claims), admin_groups grants
  and later revokes the admin role, returnUrl is followed only when local;
- a local account whose address the provider sends is never taken over: the sign-in is refused
  until its owner signs in with the password and links the provider (wrong password refused);
- a first sign-in whose identity link fails (an injected trigger) answers 500 and leaves no
  account, identity, audit row or session; the same sign-in succeeds once the fault is gone;
- refusals, each with its exact status and message and with no account or session created:
  wrong state, the same callback twice, a replayed code, a code issued to another client, an
  expired ID token (the provider's clock set back), a wrong nonce, a person outside
  allowed_groups (whose existing sessions end), a provider that is down, a start without the
  form token, and, last, the rate limit on callbacks;
then Chromium (Playwright, signin.mjs) signs in through the provider's pages and is refused once
the person is removed from the allowed group.

Every process is stopped by its PID; every wait has a deadline. Exit 0 when all checks pass.
Environment: GALLEY_BIN.
"""
import html
import http.cookiejar as cookiejar
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import NoRedirect, free_port, stop  # noqa: E402 (the shared helpers of the loopback suites)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
GALLEY = os.path.abspath(os.environ.get("GALLEY_BIN", os.path.join(ROOT, "target", "debug", "galley")))
PASSWORD = "pw-oidc-12345"
STALE = ("This sign-in has expired, was already used, or was started in another browser; start it again "
         "from the sign-in page.")
FAILURES = []
PROCS = []
PASSED = [0]


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if ok:
        PASSED[0] += 1
    else:
        FAILURES.append(what)


class Browser:
    """A cookie jar and an opener that never follows redirects, like one browser profile."""

    def __init__(self):
        self.jar = cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect(),
                                              urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method, url, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.op.open(req, timeout=20) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


def page_text(body):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


class Suite:
    def __init__(self, work):
        self.work = work
        self.galley_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.galley_port
        self.data = os.path.join(work, "data")

    # --- processes -----------------------------------------------------------------------------

    def start_provider(self):
        port_file = os.path.join(self.work, "provider.port")
        redirect = self.base + "/users/account/oidc/corp/callback"
        self.provider_log = open(os.path.join(self.work, "provider.log"), "wb")
        self.provider = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs"), port_file, redirect],
                                         cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.provider_log)
        PROCS.append(self.provider)
        deadline = time.time() + 30
        while time.time() < deadline and not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.provider.poll() is not None:
                raise SystemExit("the provider exited; see %s" % self.provider_log.name)
            time.sleep(0.1)
        self.issuer = "http://127.0.0.1:%s" % open(port_file).read().strip()
        line = self.provider.stdout.readline().decode()
        assert line.startswith("listening"), line

    def provider_command(self, command):
        self.provider.stdin.write((command + "\n").encode())
        self.provider.stdin.flush()
        answer = self.provider.stdout.readline().decode().strip()
        while answer.startswith("oidc-provider "):  # its own notices
            answer = self.provider.stdout.readline().decode().strip()
        assert answer == "ok", "provider answered %r to %r" % (answer, command)

    def start_galley(self, private=False):
        config = os.path.join(self.work, "galley.toml")
        down = "http://127.0.0.1:%d" % free_port()  # nothing listens there
        with open(config, "w") as f:
            f.write('listen = "127.0.0.1:%d"\nbase_url = "%s"\n' % (self.galley_port, self.base))
            # 2 failures per account and address: an address gets 40 for all accounts together.
            f.write('[accounts]\nbcrypt_cost = 4\nlogin_max_failures = 2\n')
            f.write('[[oidc]]\nname = "corp"\nissuer = "%s"\nclient_id = "galley"\nclient_secret = "galley-secret"\n'
                    'scopes = ["profile", "email", "groups"]\nallowed_groups = ["galley-users"]\n'
                    'admin_groups = ["galley-admins"]\n' % self.issuer)
            # Organizations from groups, by the same rule as a directory sign-in.
            f.write('[[group_mapping]]\ngroup = "galley-users"\norganization = "platform"\nrole = "collaborator"\n')
            f.write('[[oidc]]\nname = "down"\nissuer = "%s"\nclient_id = "galley"\nclient_secret = "x"\n' % down)
            if private:
                f.write('[feed]\nrequire_auth = true\n')
        self.down = down
        env = {k: v for k, v in os.environ.items() if not k.startswith("GALLEY_")}
        # carol has a local account with the address the provider sends for carol.
        if not private:
            subprocess.run([GALLEY, "user", "add", "carol", "--email", "carol@corp.example", "--password-stdin",
                            "--data-dir", self.data, "--config", config], input=PASSWORD + "\n", text=True,
                           capture_output=True, timeout=60, env=env, check=True)
        self.galley_log = open(os.path.join(self.work, "galley.log"), "ab")
        self.galley = subprocess.Popen([GALLEY, "serve", "--data-dir", self.data, "--config", config],
                                       stdout=self.galley_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env)
        PROCS.append(self.galley)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if Browser().request("GET", self.base + "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("galley did not start; see %s" % self.galley_log.name)

    # --- what the database holds (read-only) ---------------------------------------------------

    def query(self, sql, *args):
        conn = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data, "galley.db"), uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def fault(self, sql):
        """Adds or drops an injected fault (a trigger): the suite's only write to the database."""
        conn = sqlite3.connect(os.path.join(self.data, "galley.db"), timeout=10)
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def usernames(self):
        return sorted(r[0] for r in self.query("SELECT username FROM users"))

    def sessions(self):
        return self.query("SELECT count(*) FROM sessions")[0][0]

    # --- the flow ------------------------------------------------------------------------------

    def begin(self, b, provider="corp", return_url="/packages"):
        """The sign-in page's button: returns the provider's authorization URL."""
        status, _, body = b.request("GET", self.base + "/users/account/LogOn")
        assert status == 200, status
        forms = re.findall(r'<form class="oidc" method="post" action="([^"]+)">.*?name="csrf" value="([^"]+)"'
                           r'.*?<button type="submit">Sign in with ([^<]+)</button>', body)
        action, csrf = next((a, c) for a, c, name in forms if name == provider)
        status, headers, body = b.request("POST", self.base + html.unescape(action),
                                          {"csrf": csrf, "returnUrl": return_url})
        assert status == 200, (status, body)
        return continue_url(body)

    def at_provider(self, b, url, login):
        """Signs in at the provider's own pages and consents; returns the callback URL it sends
        the browser to (not followed)."""
        for _ in range(20):
            if not url.startswith(self.issuer):
                return url
            status, headers, body = b.request("GET", url)
            if status in (302, 303):
                url = urllib.parse.urljoin(url, headers["Location"])
                continue
            assert status == 200, (status, url, body[:300])
            action = urllib.parse.urljoin(url, html.unescape(re.search(r'<form[^>]*action="([^"]+)"', body).group(1)))
            if 'name="prompt" value="login"' in body:
                form = {"prompt": "login", "login": login, "password": "any"}
            elif 'name="prompt" value="consent"' in body:
                form = {"prompt": "consent"}
            else:
                raise AssertionError("unexpected provider page: " + body[:300])
            status, headers, body = b.request("POST", action, form)
            assert status in (302, 303), (status, body[:300])
            url = urllib.parse.urljoin(action, headers["Location"])
        raise AssertionError("the provider did not send the browser back")

    def callback(self, b, url):
        return b.request("GET", url)

    def sign_in(self, login, return_url="/packages", b=None):
        b = b or Browser()
        url = self.at_provider(b, self.begin(b, return_url=return_url), login)
        return (b,) + self.callback(b, url)

    def account(self, b):
        status, _, body = b.request("GET", self.base + "/api/account")
        return status, (json.loads(body)["account"] if status == 200 else {})


def continue_url(body):
    """The provider URL of the "Continuing to NAME" page (its meta refresh and its link agree)."""
    refresh = html.unescape(re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', body).group(1))
    link = html.unescape(re.search(r'id="oidc-continue" href="([^"]+)"', body).group(1))
    assert refresh == link, (refresh, link)
    return refresh


def with_param(url, name, value):
    parts = urllib.parse.urlsplit(url)
    query = [(k, value if k == name else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def refused(s, what, response, status, message, users_before, sessions_before):
    got_status, headers, body = response
    text = page_text(body)
    ok = got_status == status and message in text
    check(ok, "%s: %d and its message%s" % (what, status, "" if ok else " (got %d: %s)" % (got_status, text[:400])))
    set_cookie = headers.get_all("Set-Cookie") or []
    check(not any(c.startswith("galley_session=") and not c.startswith("galley_session=;") for c in set_cookie),
          what + ": no session cookie")
    check(s.usernames() == users_before and s.sessions() == sessions_before, what + ": no account or session stored")


def run(s):
    # --- first sign-in: the account is created from the claims --------------------------------
    b, status, headers, _ = s.sign_in("alice", return_url="/packages")
    check(status == 303 and headers["Location"] == "/packages", "alice's callback returns to /packages (%d %s)"
          % (status, headers.get("Location")))
    code, me = s.account(b)
    check(code == 200 and me["username"] == "alice" and me["email"] == "alice@corp.example" and me["email_confirmed"],
          "alice's account was created from the claims: %s" % (me,))
    check(code == 200 and me["is_admin"] is True, "admin_groups made alice an administrator")
    check(s.query("SELECT provider, subject FROM oidc_identities i JOIN users u ON u.id = i.user_id "
                  "WHERE u.username = 'alice'") == [("corp", "alice")], "alice's identity is linked by subject")

    # [[group_mapping]]: alice makes the organization platform (its admin by hand); members of
    # galley-users who sign in from then on become its collaborators (bob, below).
    status, _, body = b.request("GET", s.base + "/api/account")
    csrf = json.loads(body)["csrf_token"]
    req = urllib.request.Request(s.base + "/api/orgs", data=json.dumps({"name": "platform", "email": "platform@corp.example"}).encode(),
                                 method="POST", headers={"X-Galley-Csrf": csrf, "Content-Type": "application/json"})
    try:
        with b.op.open(req, timeout=20) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    check(status in (200, 201), "alice created the organization platform (%s)" % status)
    members = "SELECT u.username, m.role FROM org_members m JOIN users o ON o.id = m.org_id JOIN users u ON u.id = m.user_id WHERE o.username = 'platform'"

    # The same person again: the same account, and the admin role follows the groups.
    s.provider_command("groups alice galley-users")
    b2, status, _, _ = s.sign_in("alice")
    code, me = s.account(b2)
    check(status == 303 and me["username"] == "alice" and me["is_admin"] is False,
          "signing in again reaches the same account, and leaving galley-admins revokes the admin role")
    check(s.usernames().count("alice") == 1 and "alice-2" not in s.usernames(), "no second account for alice")

    # returnUrl: only a local path is followed.
    s.provider_command("groups bob galley-users")
    _, status, headers, _ = s.sign_in("bob", return_url="https://evil.example/x")
    check(status == 303 and headers["Location"] == "/", "an outside returnUrl leads home (%s)" % headers.get("Location"))
    check(sorted(s.query(members)) == [("alice", "admin"), ("bob", "collaborator")],
          "galley-users made bob a collaborator of platform, alice's own membership untouched: %s" % s.query(members))

    # --- an existing local account is never taken over by its address -------------------------
    users, sessions = s.usernames(), s.sessions()
    s.provider_command("groups carol galley-users")
    b, *response = s.sign_in("carol")
    refused(s, "a provider account with a local account's address", response, 409,
            "An account with the email address corp sent already exists here. Sign in with its password, then "
            "link corp under Account, Sign-in providers.", users, sessions)
    # carol signs in with her password and links corp, confirming with the password.
    b = Browser()
    status, _, body = b.request("GET", s.base + "/users/account/LogOn")
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    status, _, _ = b.request("POST", s.base + "/users/account/LogOn",
                             {"csrf": csrf, "username": "carol", "password": PASSWORD, "returnUrl": "/"})
    check(status == 303, "carol signs in with her password")
    status, _, body = b.request("GET", s.base + "/account/sign-in-providers")
    check(status == 200 and "Link corp" in body and "Link down" in body, "the sign-in providers page lists both")
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    status, _, body = b.request("POST", s.base + "/account/sign-in-providers/corp", {"csrf": csrf, "password": "wrong"})
    check(status == 400 and "The password is incorrect." in page_text(body), "linking with a wrong password is refused (%d)" % status)
    status, _, body = b.request("POST", s.base + "/account/sign-in-providers/corp", {"csrf": csrf, "password": PASSWORD})
    check(status == 200 and continue_url(body).startswith(s.issuer), "the right password sends carol to the provider")
    status, headers, _ = s.callback(b, s.at_provider(b, continue_url(body), "carol"))
    check(status == 303 and headers["Location"] == "/account/sign-in-providers?linked=corp", "the link is made (%d)" % status)
    status, _, body = b.request("GET", s.base + "/account/sign-in-providers?linked=corp")
    check("corp is now linked to your account." in page_text(body), "the page says corp is linked")
    b, status, _, _ = s.sign_in("carol")
    code, me = s.account(b)
    check(status == 303 and me["username"] == "carol", "carol now signs in with corp to her own account")

    # --- atomicity: a first sign-in whose identity link fails leaves no half-created account ----
    s.provider_command("groups hana galley-users")
    users, sessions = s.usernames(), s.sessions()
    s.fault("CREATE TRIGGER injected_fault BEFORE INSERT ON oidc_identities WHEN NEW.subject = 'hana' "
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END;")
    b = Browser()
    url = s.at_provider(b, s.begin(b), "hana")
    refused(s, "a first sign-in whose link fails", s.callback(b, url), 500,
            "The server failed to process the request; the error has been logged.", users, sessions)
    check(s.query("SELECT count(*) FROM users WHERE email = 'hana@corp.example'") == [(0,)]
          and s.query("SELECT count(*) FROM audit_log WHERE action = 'account.register.oidc' "
                      "AND actor_name = 'hana'") == [(0,)],
          "no account, identity or audit row for hana")
    s.fault("DROP TRIGGER injected_fault")
    b, status, _, _ = s.sign_in("hana")
    code, me = s.account(b)
    check(status == 303 and me.get("username") == "hana", "hana signs in once the fault is gone (%d)" % status)

    # --- refusals --------------------------------------------------------------------------------
    s.provider_command("groups dave galley-users")
    users, sessions = s.usernames(), s.sessions()

    b = Browser()
    url = s.at_provider(b, s.begin(b), "dave")
    refused(s, "a wrong state", s.callback(b, with_param(url, "state", "forged-state")), 400, STALE, users, sessions)
    # The forged attempt did not consume the real state; a callback from another browser is refused
    # and consumes it, so the real browser cannot use it afterwards either.
    refused(s, "the callback in another browser", s.callback(Browser(), url), 400, STALE, users, sessions)
    refused(s, "the same callback again", s.callback(b, url), 400, STALE, users, sessions)

    # A replayed code: a fresh sign-in's state with a code the provider already redeemed.
    b = Browser()
    first = s.at_provider(b, s.begin(b), "dave")
    status, _, _ = s.callback(b, first)
    check(status == 303, "dave signs in once (%d)" % status)
    users, sessions = s.usernames(), s.sessions()
    b2 = Browser()
    second = s.at_provider(b2, s.begin(b2), "dave")
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(first).query))["code"]
    refused(s, "a replayed code", s.callback(b2, with_param(second, "code", code)), 400,
            "corp did not accept the sign-in code (invalid_grant); start the sign-in again.", users, sessions)

    s.provider_command("groups erin galley-users")
    users, sessions = s.usernames(), s.sessions()
    # A code issued to another client of the same provider (the authorization request's
    # client_id changed): the provider will not hand its tokens to Galley's client.
    b = Browser()
    auth = s.begin(b)
    url = s.at_provider(b, with_param(auth, "client_id", "other"), "erin")
    refused(s, "a code issued to another client id", s.callback(b, url), 400,
            "corp did not accept the sign-in code (invalid_grant); start the sign-in again.", users, sessions)

    # An expired ID token: the provider's clock two hours behind when it signs the token.
    b = Browser()
    url = s.at_provider(b, s.begin(b), "erin")
    s.provider_command("clock -7200")
    try:
        response = s.callback(b, url)
    finally:
        s.provider_command("clock 0")
    refused(s, "an expired ID token", response, 400, "The sign-in with corp was refused: the ID token has expired.",
            users, sessions)

    # A wrong nonce: the authorization request's nonce replaced on its way to the provider.
    b = Browser()
    url = s.at_provider(b, with_param(s.begin(b), "nonce", "another-nonce"), "erin")
    refused(s, "a wrong nonce", s.callback(b, url), 400,
            "The sign-in with corp was refused: the ID token belongs to another sign-in (wrong nonce).", users, sessions)

    # Outside allowed_groups: refused, and the sessions the person already had end.
    _, *response = s.sign_in("mallory")
    refused(s, "a person outside allowed_groups", response, 403,
            "Your corp account is not in a group allowed to use this server; ask an administrator to add you.",
            users, sessions)
    s.provider_command("groups frank galley-users")
    frank, status, _, _ = s.sign_in("frank")
    check(status == 303 and s.account(frank)[0] == 200, "frank signs in while in galley-users")
    s.provider_command("groups frank outsiders")
    users, sessions = s.usernames(), s.sessions()
    _, *response = s.sign_in("frank")
    got = response[0]
    check(got == 403, "frank, removed from galley-users, is refused at the next sign-in (%d)" % got)
    check(s.account(frank)[0] == 401, "frank's existing session ended")
    check(s.sessions() == sessions - 1 and s.usernames() == users, "only frank's session was removed")
    users, sessions = s.usernames(), s.sessions()

    # A provider that cannot be reached: a clear 503, nothing stored.
    b = Browser()
    status, _, body = b.request("GET", s.base + "/users/account/LogOn")
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    response = b.request("POST", s.base + "/users/account/oidc/down", {"csrf": csrf, "returnUrl": "/"})
    refused(s, "a provider that is down", response, 503,
            "down cannot be reached now (discovery at %s failed); try again later or sign in with a password." % s.down,
            users, sessions)
    response = b.request("POST", s.base + "/users/account/oidc/corp", {"returnUrl": "/"})
    refused(s, "a start without the form token", response, 403,
            "This form has expired or did not come from this site; reload the page and try again.", users, sessions)
    response = b.request("POST", s.base + "/users/account/oidc/nope", {"csrf": csrf, "returnUrl": "/"})
    refused(s, "an unknown provider", response, 404, "There is no sign-in provider named 'nope'.", users, sessions)
    check(s.query("SELECT count(*) FROM oidc_logins WHERE provider = 'down'")[0][0] == 0,
          "nothing was kept for the sign-in that could not start")


def browser_run(s):
    """Chromium through the provider's pages: signs in, then is refused once removed."""
    s.provider_command("groups gina galley-users")
    env = dict(os.environ, GALLEY_BIN=GALLEY)
    proc = subprocess.Popen(["node", os.path.join(HERE, "signin.mjs"), s.base, "gina"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, cwd=HERE)
    PROCS.append(proc)
    try:
        # signin.mjs prints "remove gina" when it wants the provider to drop gina from the group.
        for raw in proc.stdout:
            line = raw.decode().rstrip()
            if line == "remove gina":
                s.provider_command("groups gina outsiders")
                proc.stdin.write(b"done\n")
                proc.stdin.flush()
                continue
            print(line, flush=True)
            if line.startswith("ok - "):
                PASSED[0] += 1
            elif line.startswith("FAIL - "):
                FAILURES.append(line)
        proc.wait(timeout=120)
    finally:
        stop(proc)
    check(proc.returncode == 0, "the Chromium sign-in (signin.mjs) passed")


def private_feed(s):
    """[feed] require_auth: the sign-in pages stay open, and a provider's account (which has no
    password for the browser's Basic prompt) browses the private portal with its session."""
    stop(s.galley)
    s.start_galley(private=True)
    status, headers, body = Browser().request("GET", s.base + "/packages")
    check(status == 401 and headers.get("WWW-Authenticate") == 'Basic realm="Galley"'
          and "sign in at /users/account/LogOn," in body,
          "the private portal asks an anonymous visitor to sign in (%d %s)" % (status, body[:120]))
    b, status, headers, _ = s.sign_in("bob", return_url="/packages")
    check(status == 303 and headers["Location"] == "/packages",
          "bob signs in through the provider on the private feed (%d %s)" % (status, headers.get("Location")))
    status, _, _ = b.request("GET", s.base + "/packages")
    check(status == 200, "bob's session opens the private portal (%d)" % status)


def rate_limit(s):
    """Last: it uses up this address's sign-in budget."""
    users, sessions = s.usernames(), s.sessions()
    b = Browser()
    url = s.base + "/users/account/oidc/corp/callback?code=x&state=forged"
    statuses = [s.callback(b, url)[0] for _ in range(45)]
    first_429 = statuses.index(429) if 429 in statuses else -1
    check(first_429 > 0 and all(x == 400 for x in statuses[:first_429]) and all(x == 429 for x in statuses[first_429:]),
          "bad callbacks are refused with 400 until the address's budget is spent, then 429")
    response = s.callback(b, url)
    refused(s, "a callback over the rate limit", response, 429, "Too many failed sign-in attempts; try again in",
            users, sessions)


def main():
    if not shutil.which("node"):
        raise SystemExit("node is needed")
    work = tempfile.mkdtemp(prefix="oidc-", dir=os.path.join(ROOT, "target"))
    s = Suite(work)
    try:
        s.start_provider()
        s.start_galley()
        run(s)
        browser_run(s)
        private_feed(s)
        rate_limit(s)
    finally:
        for proc in reversed(PROCS):
            stop(proc)
        if FAILURES:
            print("logs kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED[0], len(FAILURES)))
    for f in FAILURES:
        print("  failed: " + f)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
