#!/usr/bin/env python3
"""Directory sign-in against a real OpenLDAP (docs/sign-in.md, "LDAP / Active Directory").

Starts Debian's slapd with its own slapd.conf (mdb backend) in a temporary folder, on 127.0.0.1
and an ephemeral port, requiring TLS (`security tls=1`) with a certificate made here by openssl,
so every operation Galley does goes over StartTLS. Users and groups come from an LDIF written
here; the directory is changed during the run with ldapmodify/ldapdelete. Galley runs from
target/debug/galley with [ldap] and [[group_mapping]] pointing at it; the ldap-sync job is run
with `galley job ldap-sync`.

Output: `PASS name` / `FAIL name: why` per case, then `N passed, M failed`; exit 0, 1 (a case
failed) or 2 (setup impossible). Logs in target/ldap-tests/.

Environment: GALLEY_BIN (default target/debug/galley), SLAPD (default /usr/sbin/slapd), KEEP_TMP=1.
Every process started here is stopped by its PID; every wait is bounded.
"""
import http.cookies
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from loopback import free_port, stop  # noqa: E402 (the shared helpers of the loopback suites)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOG_DIR = os.path.join(ROOT, "target", "ldap-tests")
SUFFIX = "dc=example,dc=com"
ROOT_DN = "cn=admin," + SUFFIX
ROOT_PW = "root-secret"
SERVICE_DN = "cn=galley,ou=services," + SUFFIX
SERVICE_PW = "service-secret"
LOCAL_PW = "local-pw-123456"
BAD_CREDENTIALS = "The username or password is incorrect."
NOT_ALLOWED = "Your directory account is not allowed to sign in to this server; ask an administrator."
PROCS = []


class Fail(Exception):
    pass


class SetupError(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Fail(what)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    with open(os.path.join(LOG_DIR, "commands.log"), "a") as f:
        f.write("$ %s\n[exit %d]\n%s%s\n" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def group(cn, members):
    lines = ["dn: cn=%s,ou=groups,%s" % (cn, SUFFIX), "objectClass: groupOfNames", "cn: " + cn]
    lines += ["member: uid=%s,ou=people,%s" % (m, SUFFIX) for m in members]
    return "\n".join(lines) + "\n"


def person(uid, password, mail=True):
    lines = ["dn: uid=%s,ou=people,%s" % (uid, SUFFIX), "objectClass: inetOrgPerson", "uid: " + uid,
             "cn: " + uid.title(), "sn: " + uid.title(), "userPassword: " + password]
    if mail:
        lines.append("mail: %s@example.com" % uid)
    return "\n".join(lines) + "\n"


# alice: allowed, admin, platform lead; bob: allowed, platform collaborator; carol: outside
# galley-users; erin: allowed, but a local Galley account has her name; dave: allowed.
LDIF = "\n".join([
    "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n" % SUFFIX,
    "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n" % SUFFIX,
    "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n" % SUFFIX,
    "dn: ou=services,%s\nobjectClass: organizationalUnit\nou: services\n" % SUFFIX,
    "dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: galley\nuserPassword: %s\n"
    % (SERVICE_DN, SERVICE_PW),
    person("alice", "alice-pw"), person("bob", "bob-pw"), person("carol", "carol-pw"),
    person("dave", "dave-pw"), person("erin", "erin-directory-pw"),
    group("galley-users", ["alice", "bob", "dave", "erin"]),
    group("galley-admins", ["alice"]),
    # carol keeps the groups non-empty (groupOfNames needs a member) as others leave them.
    group("platform", ["bob", "carol"]),
    group("platform-leads", ["alice", "carol"]),
    group("tools", ["dave"]),
])


class Slapd:
    def __init__(self, work):
        self.dir = os.path.join(work, "slapd")
        os.makedirs(os.path.join(self.dir, "db"))
        self.port = free_port()
        self.url = "ldap://127.0.0.1:%d" % self.port
        self.ca = os.path.join(self.dir, "ca.pem")
        self.env = dict(os.environ, LDAPTLS_CACERT=self.ca, LDAPTLS_REQCERT="demand")
        self.certificates()
        conf = os.path.join(self.dir, "slapd.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "pidfile %s/slapd.pid" % self.dir,
                "argsfile %s/slapd.args" % self.dir,
                "TLSCACertificateFile %s" % self.ca,
                "TLSCertificateFile %s/server.pem" % self.dir,
                "TLSCertificateKeyFile %s/server.key" % self.dir,
                # Every operation must run over TLS: Galley's StartTLS is proven by working at all.
                "security tls=1",
                "database mdb",
                "maxsize 16777216",
                "suffix \"%s\"" % SUFFIX,
                "rootdn \"%s\"" % ROOT_DN,
                "rootpw %s" % ROOT_PW,
                "directory %s/db" % self.dir,
                "access to attrs=userPassword by anonymous auth by self read by * none",
                "access to * by users read by * none",
                "",
            ]))
        self.conf = conf

    def certificates(self):
        d = self.dir
        steps = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Galley test CA",
             "-keyout", d + "/ca.key", "-out", self.ca],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", d + "/server.key", "-out", d + "/server.csr"],
        ]
        for cmd in steps:
            if run(cmd).returncode != 0:
                raise SetupError("openssl failed: " + " ".join(cmd[:3]))
        with open(d + "/ext.cnf", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        p = run(["openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", self.ca, "-CAkey", d + "/ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", d + "/ext.cnf", "-out", d + "/server.pem"])
        if p.returncode != 0:
            raise SetupError("openssl x509 failed")
        os.chmod(d + "/server.key", 0o644)

    def start(self):
        slapd = os.environ.get("SLAPD") or "/usr/sbin/slapd"
        if not os.path.exists(slapd):
            raise SetupError("slapd not found at %s (test.sh installs Debian's slapd)" % slapd)
        with open(os.path.join(self.dir, "base.ldif"), "w") as f:
            f.write(LDIF)
        # slapadd fills the database offline, before the server starts.
        p = run(["/usr/sbin/slapadd", "-f", self.conf, "-l", os.path.join(self.dir, "base.ldif")])
        if p.returncode != 0:
            raise SetupError("slapadd failed: " + p.stderr[-500:])
        log = open(os.path.join(LOG_DIR, "slapd.log"), "ab")
        # -d: stay in the foreground (so the PID is ours to stop); 256 logs each operation.
        self.proc = subprocess.Popen([slapd, "-f", self.conf, "-h", self.url + "/", "-d", "256"],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        PROCS.append(self.proc)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SetupError("slapd exited with %d (see %s)" % (self.proc.returncode, LOG_DIR))
            if self.ldap("ldapwhoami").returncode == 0:
                return
            time.sleep(0.2)
        raise SetupError("slapd did not answer within 30 s")

    def ldap(self, tool, ldif=None, *args):
        cmd = [tool, "-x", "-ZZ", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW] + list(args)
        p = subprocess.run(cmd, input=ldif, capture_output=True, text=True, timeout=30, env=self.env)
        with open(os.path.join(LOG_DIR, "commands.log"), "a") as f:
            f.write("$ %s\n%s[exit %d]\n%s%s\n" % (" ".join(cmd), ldif or "", p.returncode, p.stdout, p.stderr))
        return p

    def modify(self, ldif):
        p = self.ldap("ldapmodify", ldif)
        if p.returncode != 0:
            raise Fail("ldapmodify failed: " + p.stderr)

    def delete(self, dn):
        p = self.ldap("ldapdelete", None, dn)
        if p.returncode != 0:
            raise Fail("ldapdelete failed: " + p.stderr)


class Galley:
    def __init__(self, bin_, work, slapd):
        self.bin = bin_
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.data = os.path.join(work, "galley-data")
        self.conf = os.path.join(work, "galley.toml")
        self.log = os.path.join(LOG_DIR, "galley.log")
        cn = lambda name: "cn=%s,ou=groups,%s" % (name, SUFFIX)
        with open(self.conf, "w") as f:
            f.write("\n".join([
                'listen = "127.0.0.1:%d"' % self.port,
                'data_dir = "%s"' % self.data,
                "[accounts]", "bcrypt_cost = 4", "login_max_failures = 1000",
                "[ldap]",
                'url = "%s"' % slapd.url,
                'bind_dn = "%s"' % SERVICE_DN,
                'bind_password = "%s"' % SERVICE_PW,
                'user_base = "ou=people,%s"' % SUFFIX,
                'user_filter = "(&(objectClass=inetOrgPerson)(uid={username}))"',
                'group_base = "ou=groups,%s"' % SUFFIX,
                'group_filter = "(&(objectClass=groupOfNames)(member={dn}))"',
                'admin_group = "%s"' % cn("galley-admins"),
                # Spaced and capitalized unlike the server's DNs: groups compare as DNs do.
                'allowed_group = "CN=galley-users, ou=groups, %s"' % SUFFIX,
                'ca_file = "%s"' % slapd.ca,
                'sync_schedule = ""',
                "[[group_mapping]]", 'group = "%s"' % cn("platform"), 'organization = "platform"',
                'role = "collaborator"',
                "[[group_mapping]]", 'group = "%s"' % cn("platform-leads"), 'organization = "platform"',
                'role = "admin"',
                "[[group_mapping]]", 'group = "%s"' % cn("tools"), 'organization = "tools"',
                'role = "collaborator"',
                "",
            ]))

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

    def start(self):
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.conf], stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env())
        PROCS.append(self.proc)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SetupError("galley exited with %d (see %s)" % (self.proc.returncode, self.log))
            if self.request("GET", "/health")[0] == 200:
                return
            time.sleep(0.2)
        raise SetupError("galley did not answer within 30 s")

    def request(self, method, path, body=None, cookie=None, csrf=None, headers=None):
        h = dict(headers or {})
        data = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if cookie:
            h["Cookie"] = "galley_session=" + cookie
        if csrf:
            h["X-Galley-Csrf"] = csrf
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers
        except (urllib.error.URLError, OSError) as e:
            return None, str(e).encode(), {}

    def sign_in(self, username, password):
        """(status, body as JSON or text, session cookie or None, csrf or None)"""
        status, body, headers = self.request("POST", "/api/account/signin", {"username": username, "password": password})
        cookie = None
        for value in headers.get_all("Set-Cookie") or [] if headers else []:
            jar = http.cookies.SimpleCookie(value)
            if "galley_session" in jar:
                cookie = jar["galley_session"].value
        try:
            doc = json.loads(body)
        except ValueError:
            doc = body.decode(errors="replace")
        csrf = doc.get("csrf_token") if isinstance(doc, dict) else None
        return status, doc, cookie, csrf

    def db(self, sql, *args):
        with sqlite3.connect(os.path.join(self.data, "galley.db"), timeout=30) as c:
            return c.execute(sql, args).fetchall()

    def user(self, name):
        rows = self.db("SELECT id, is_admin, is_disabled FROM users WHERE username_lower = lower(?)", name)
        return rows[0] if rows else None

    def orgs_of(self, name):
        return dict(self.db(
            "SELECT o.username, m.role FROM org_members m JOIN users o ON o.id = m.org_id "
            "JOIN users u ON u.id = m.user_id WHERE u.username_lower = lower(?)", name))


def message(doc):
    return doc.get("message") if isinstance(doc, dict) else doc


class Suite:
    def __init__(self):
        self.bin = os.environ.get("GALLEY_BIN") or os.path.join(ROOT, "target", "debug", "galley")
        if not os.path.exists(self.bin):
            raise SetupError("galley binary not found at %s (cargo build)" % self.bin)
        for tool in ("ldapmodify", "ldapdelete", "ldapwhoami", "openssl"):
            if not shutil.which(tool):
                raise SetupError("%s not found (test.sh installs ldap-utils and openssl)" % tool)
        self.work = tempfile.mkdtemp(prefix="galley-ldap-")
        self.results = []

    def setup(self):
        shutil.rmtree(LOG_DIR, ignore_errors=True)
        os.makedirs(LOG_DIR)
        self.slapd = Slapd(self.work)
        self.slapd.start()
        self.galley = Galley(self.bin, self.work, self.slapd)
        g = self.galley
        for name in ("root", "erin"):
            p = g.cli("user", "add", name, "--email", name + "@local.example", "--password-stdin",
                      *(["--admin"] if name == "root" else []), stdin=LOCAL_PW + "\n")
            if p.returncode != 0:
                raise SetupError("galley user add %s: %s" % (name, p.stderr))
        g.start()
        status, doc, self.root_cookie, self.root_csrf = g.sign_in("root", LOCAL_PW)
        if status != 200:
            raise SetupError("root sign-in: %s %s" % (status, doc))
        for org in ("platform", "tools"):
            status, body, _ = g.request("POST", "/api/orgs", {"name": org, "email": org + "@local.example"},
                                        self.root_cookie, self.root_csrf)
            if status not in (200, 201):
                raise SetupError("create org %s: %s %s" % (org, status, body[:300]))

    def case(self, name, fn):
        try:
            fn()
            self.results.append((name, None))
            print("PASS", name, flush=True)
        except Fail as e:
            self.results.append((name, str(e)))
            print("FAIL %s: %s" % (name, e), flush=True)
        except Exception:
            self.results.append((name, traceback.format_exc()))
            print("FAIL %s:\n%s" % (name, traceback.format_exc()), flush=True)

    # ---- cases

    def first_sign_in_creates_the_account_and_maps_groups(self):
        g = self.galley
        status, doc, cookie, csrf = g.sign_in("alice", "alice-pw")
        check(status == 200, "alice: %s %s" % (status, doc))
        account = doc["account"]
        check(account["username"] == "alice" and account["email"] == "alice@example.com", account)
        check(account["is_admin"] is True, "admin_group must make alice an administrator: %s" % account)
        check(account["email_confirmed"] is True, account)
        check(g.orgs_of("alice") == {"platform": "admin"}, g.orgs_of("alice"))
        check(g.db("SELECT dn FROM directory_accounts d JOIN users u ON u.id = d.user_id WHERE u.username = 'alice'")
              == [("uid=alice,ou=people," + SUFFIX,)], "alice must be directory-managed")
        self.alice_cookie = cookie
        status, doc, cookie, _ = g.sign_in("bob", "bob-pw")
        check(status == 200 and doc["account"]["is_admin"] is False, "bob: %s %s" % (status, doc))
        check(g.orgs_of("bob") == {"platform": "collaborator"}, g.orgs_of("bob"))
        # The typed name's case does not make a second account.
        status, doc, _, _ = g.sign_in("BOB", "bob-pw")
        check(status == 200 and doc["account"]["username"] == "bob", "BOB: %s %s" % (status, doc))
        check(len(g.db("SELECT id FROM users WHERE username_lower = 'bob'")) == 1, "one account for bob")

    def directory_accounts_get_no_password_reset(self):
        g = self.galley
        outbox = os.path.join(g.data, "outbox")
        mails = lambda: [open(os.path.join(outbox, f), errors="replace").read() for f in sorted(os.listdir(outbox))] \
            if os.path.isdir(outbox) else []
        # bob first, then erin (local): once erin's mail is there, bob's request has been handled.
        for name in ("bob", "erin"):
            status, body, _ = g.request("POST", "/api/account/password-reset", {"username": name})
            check(status == 202, "reset %s: %s %s" % (name, status, body[:200]))
        deadline = time.time() + 30
        while time.time() < deadline and not any("erin@local.example" in m for m in mails()):
            time.sleep(0.2)
        check(any("erin@local.example" in m for m in mails()), "the local account gets its reset mail")
        check(not any("bob@example.com" in m for m in mails()), "a directory account must get no reset link")

    def wrong_password_is_refused_and_creates_nothing(self):
        g = self.galley
        for name, password in (("dave", "wrong"), ("dave", ""), ("nobody", "whatever"), ("alice", "")):
            status, doc, cookie, _ = g.sign_in(name, password)
            check(status == 401 and message(doc) == BAD_CREDENTIALS, "%s/%r: %s %s" % (name, password, status, doc))
            check(cookie is None, "no session cookie on a refusal")
        check(g.user("dave") is None and g.user("nobody") is None, "no account may be created")
        check(g.db("SELECT count(*) FROM audit_log WHERE action = 'signin.failed' AND actor_name = 'dave'")[0][0] >= 2,
              "failed sign-ins are audited")

    def outside_allowed_group_is_refused(self):
        g = self.galley
        status, doc, cookie, _ = g.sign_in("carol", "carol-pw")
        check(status == 403 and message(doc) == NOT_ALLOWED, "carol: %s %s" % (status, doc))
        check(cookie is None and g.user("carol") is None, "carol must get no session and no account")
        # A wrong password says nothing about the group.
        status, doc, _, _ = g.sign_in("carol", "nope")
        check(status == 401 and message(doc) == BAD_CREDENTIALS, "carol, wrong password: %s %s" % (status, doc))

    def filter_injection_is_harmless(self):
        g = self.galley
        for name in ("*)(uid=*", "*", "alice)(|(uid=*", "*)(objectClass=*"):
            for password in ("alice-pw", "bob-pw"):
                status, doc, cookie, _ = g.sign_in(name, password)
                check(status == 401 and message(doc) == BAD_CREDENTIALS, "%r: %s %s" % (name, status, doc))
                check(cookie is None, "no session for %r" % name)
        check(g.db("SELECT count(*) FROM users WHERE username LIKE '%*%' OR username LIKE '%(%'")[0][0] == 0,
              "no account from an injected name")

    def a_local_account_is_not_taken_over(self):
        g = self.galley
        status, doc, _, _ = g.sign_in("erin", "erin-directory-pw")
        check(status == 401 and message(doc) == BAD_CREDENTIALS, "directory password of a local name: %s %s" % (status, doc))
        status, doc, _, _ = g.sign_in("erin", LOCAL_PW)
        check(status == 200 and doc["account"]["username"] == "erin", "local password: %s %s" % (status, doc))
        check(g.db("SELECT count(*) FROM directory_accounts d JOIN users u ON u.id = d.user_id WHERE u.username = 'erin'")[0][0] == 0,
              "erin must stay a local account")
        # The typed name's case does not reach the directory either.
        status, doc, _, _ = g.sign_in("ERIN", "erin-directory-pw")
        check(status == 401, "ERIN: %s %s" % (status, doc))

    def group_change_moves_org_membership(self):
        g, s = self.galley, self.slapd
        # A membership added by hand in a mapped organization is never touched by the mappings.
        status, body, _ = g.request("PUT", "/api/orgs/tools/members/bob", {"role": "collaborator"},
                                    self.root_cookie, self.root_csrf)
        check(status == 200, "hand-made membership: %s %s" % (status, body[:200]))
        s.modify("dn: cn=platform,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: uid=bob,ou=people,%s\n\n"
                 "dn: cn=platform-leads,ou=groups,%s\nchangetype: modify\nadd: member\nmember: uid=bob,ou=people,%s\n"
                 % (SUFFIX, SUFFIX, SUFFIX, SUFFIX))
        status, doc, _, _ = g.sign_in("bob", "bob-pw")
        check(status == 200, "bob: %s %s" % (status, doc))
        check(g.orgs_of("bob") == {"platform": "admin", "tools": "collaborator"}, "after sign-in: %s" % g.orgs_of("bob"))
        # Out of every platform group: the sync job (no sign-in) removes the mapped membership only.
        s.modify("dn: cn=platform-leads,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: uid=bob,ou=people,%s\n"
                 % (SUFFIX, SUFFIX))
        p = g.cli("job", "ldap-sync")
        check(p.returncode == 0, "ldap-sync: %s %s" % (p.stdout, p.stderr))
        check(g.orgs_of("bob") == {"tools": "collaborator"}, "after ldap-sync: %s" % g.orgs_of("bob"))
        check(g.user("bob")[2] == 0, "bob is still enabled")

    def leaver_is_disabled_by_the_sync_job(self):
        g, s = self.galley, self.slapd
        p = g.cli("apikey", "create", "--user", "alice", "--name", "ci")
        key = p.stdout.split()[-1] if p.returncode == 0 and p.stdout.split() else None
        check(key, "apikey create: %s" % p.stderr)
        before, body, _ = self.push(key)
        check(before == 400, "a push with alice's key before: %s %s" % (before, body[:200]))
        check(g.request("GET", "/api/account", cookie=self.alice_cookie)[0] == 200, "alice's session works before")
        s.delete("uid=alice,ou=people," + SUFFIX)
        p = g.cli("job", "ldap-sync")
        check(p.returncode == 0 and "1 disabled (alice), 1 API keys revoked" in p.stdout,
              "ldap-sync: %s %s" % (p.stdout, p.stderr))
        check(g.user("alice")[2] == 1, "alice's account must be disabled")
        check(g.db("SELECT count(*) FROM api_keys k JOIN users u ON u.id = k.user_id "
                   "WHERE u.username = 'alice' AND k.revoked_at IS NULL")[0][0] == 0, "alice's keys must be revoked")
        check(g.db("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'alice'")[0][0] == 0,
              "alice's sessions must be gone")
        audit = g.db("SELECT actor_name, detail FROM audit_log WHERE action = 'user.disable'")
        check(("ldap-sync", "alice: not found in the directory; 1 API keys revoked") in audit, audit)
        status, _, _ = g.request("GET", "/api/account", cookie=self.alice_cookie)
        check(status == 401, "alice's session after: %s" % status)
        status, body, _ = self.push(key)
        check(status in (401, 403), "a push with alice's key after: %s %s" % (status, body[:200]))
        status, doc, _, _ = g.sign_in("alice", "alice-pw")
        check(status == 401 and message(doc) == BAD_CREDENTIALS, "alice's sign-in after: %s %s" % (status, doc))
        # Leaving allowed_group counts as leaving: bob is disabled by the next run.
        s.modify("dn: cn=galley-users,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: uid=bob,ou=people,%s\n"
                 % (SUFFIX, SUFFIX))
        p = g.cli("job", "ldap-sync")
        check(p.returncode == 0 and "1 disabled (bob)" in p.stdout, "ldap-sync: %s %s" % (p.stdout, p.stderr))
        check(g.user("bob")[2] == 1, "bob must be disabled")
        # Local accounts are never touched by the sync.
        check(g.user("root")[2] == 0 and g.user("erin")[2] == 0, "local accounts stay enabled")

    def push(self, key):
        status, body, _ = self.galley.request("PUT", "/api/v2/package", b"not a package",
                                              headers={"X-NuGet-ApiKey": key, "Content-Type": "application/octet-stream"})
        return status, body, None

    def directory_down_changes_nothing(self):
        g = self.galley
        status, doc, _, _ = g.sign_in("dave", "dave-pw")
        check(status == 200, "dave: %s %s" % (status, doc))
        stop(self.slapd.proc)
        p = g.cli("job", "ldap-sync")
        check(p.returncode != 0, "ldap-sync must fail while the directory is down: %s" % p.stdout)
        check(g.user("dave")[2] == 0, "dave must stay enabled while the directory cannot be asked")
        status, doc, _, _ = g.sign_in("dave", "dave-pw")
        check(status == 503 and message(doc) == "The directory cannot be reached; try again later.",
              "dave while down: %s %s" % (status, doc))
        status, doc, _, _ = g.sign_in("root", LOCAL_PW)
        check(status == 200, "local accounts sign in without the directory: %s %s" % (status, doc))

    def bad_configuration_is_refused_at_start(self):
        g = self.galley
        with open(g.conf) as f:
            good = f.read()
        bad_conf = os.path.join(self.work, "bad.toml")
        for wrong, expected in (
            ('url = "%s"' % self.slapd.url, ('url = "http://127.0.0.1"',
             "error: invalid configuration: [ldap] url = 'http://127.0.0.1' must look like ldap://directory.example.com (StartTLS) or ldaps://directory.example.com")),
            ('user_filter = "(&(objectClass=inetOrgPerson)(uid={username}))"', ('user_filter = "(uid=alice)"',
             "error: invalid configuration: [ldap] user_filter = '(uid=alice)' must be a filter in parentheses containing {username}, e.g. (&(objectClass=person)(uid={username}))")),
            ('role = "admin"', ('role = "owner"', "unknown variant `owner`")),
        ):
            with open(bad_conf, "w") as f:
                f.write(good.replace(wrong, expected[0], 1))
            p = subprocess.run([g.bin, "job", "ldap-sync", "--config", bad_conf], capture_output=True, text=True,
                               timeout=60, env=g.env())
            check(p.returncode != 0 and expected[1] in p.stderr, "%s: exit %d, %s" % (expected[0], p.returncode, p.stderr))

    def main(self):
        self.setup()
        for name in ("bad_configuration_is_refused_at_start", "first_sign_in_creates_the_account_and_maps_groups",
                     "directory_accounts_get_no_password_reset", "wrong_password_is_refused_and_creates_nothing",
                     "outside_allowed_group_is_refused", "filter_injection_is_harmless",
                     "a_local_account_is_not_taken_over", "group_change_moves_org_membership",
                     "leaver_is_disabled_by_the_sync_job", "directory_down_changes_nothing"):
            self.case(name, getattr(self, name))
        failed = [n for n, e in self.results if e]
        print("%d passed, %d failed" % (len(self.results) - len(failed), len(failed)))
        return 1 if failed else 0


def main():
    suite = None
    try:
        suite = Suite()
        return suite.main()
    except SetupError as e:
        print("SETUP FAILED:", e)
        return 2
    finally:
        for proc in reversed(PROCS):
            stop(proc)
        if suite and not os.environ.get("KEEP_TMP"):
            shutil.rmtree(suite.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
