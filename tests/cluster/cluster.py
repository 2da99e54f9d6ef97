"""The cluster the multi-node suite runs against (docs/scale-out.md "Several nodes, one feed"):
one PostgreSQL, one S3 bucket on moto's server, two Galley nodes (each its own data folder and
config file, the same `[database] url`, bucket and prefix) and Debian's nginx balancing over both
(round robin). With GALLEY_CLUSTER_DB=sqlite each node has its own SQLite file instead (a copy of
the first node's after the account is made, so one API key works on both): that mode checks the
harness itself, not the nodes' agreement. Every process is stopped by its PID."""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import nginx  # noqa: E402
import postgres  # noqa: E402
import s3server  # noqa: E402
from loopback import free_port, http, stop  # noqa: E402
from packages import multipart  # noqa: E402

BUCKET = "galley-cluster"
PASSWORD = "pw-cluster-123"
# Sign-in failures allowed per account and address before 429 (the shared-limit case uses them up).
LOGIN_MAX_FAILURES = 3
# The job both nodes schedule every second; the others are off so the logs show only it.
WATCHED_JOB = "purge-expired"


class SetupError(Exception):
    pass


def wait_for(proc, url, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError("%s exited with %d before answering" % (what, proc.returncode))
        if http("GET", url, timeout=2)[0] == 200:
            return
        time.sleep(0.2)
    raise SetupError("%s did not answer %s within %d s" % (what, url, seconds))


def storage_s3(endpoint):
    return ('[storage]\nbackend = "s3"\nbucket = "%s"\nprefix = "feed"\nendpoint = "%s"\nregion = "us-east-1"\n'
            'path_style = true\naccess_key = "%s"\nsecret_key = "%s"\n' % (BUCKET, endpoint, s3server.ACCESS, s3server.SECRET))


class Node:
    """One `galley serve`: `database_url` "" is its own SQLite file, `endpoint` None its own folder."""

    def __init__(self, galley_bin, work, log_dir, name, database_url, endpoint):
        self.bin, self.name = galley_bin, name
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.data = os.path.join(work, name + "-data")
        self.conf = os.path.join(work, name + ".toml")
        self.log = os.path.join(log_dir, name + ".log")
        self.proc = None
        os.makedirs(self.data, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write('listen = "127.0.0.1:%d"\ndata_dir = "%s"\n' % (self.port, self.data)
                    + '[server]\ntrusted_proxies = ["127.0.0.1"]\n'
                    + '[accounts]\nbcrypt_cost = 4\nlogin_max_failures = %d\n' % LOGIN_MAX_FAILURES
                    + '[database]\nurl = "%s"\n' % database_url
                    + '[jobs]\nflush_downloads = "* * * * * *"\nrescan = ""\nreindex = ""\nretry_validating = ""\nretention = ""\n'
                    + 'purge_expired = "* * * * * *"\n'
                    + '[log]\nlevel = "info,galley::jobs=debug"\n'
                    + (storage_s3(endpoint) if endpoint else ""))

    @staticmethod
    def env():
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GALLEY_", "AWS_"))}
        return env

    def cli(self, *args, stdin=None, timeout=120):
        p = subprocess.run([self.bin] + list(args) + ["--config", self.conf], input=stdin, capture_output=True,
                           text=True, timeout=timeout, env=self.env())
        with open(self.log, "a") as f:
            f.write("$ galley %s\n[exit %d]\n%s%s\n" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def start(self, procs):
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.conf], stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env())
        procs.append(self.proc)
        wait_for(self.proc, self.base + "/health", "galley " + self.name)

    def kill(self):
        """SIGKILL: no shutdown of any kind, as a host dying."""
        self.proc.kill()
        self.proc.wait(timeout=15)

    def push(self, key, data, base=None):
        body, content_type = multipart(data)
        return http("PUT", (base or self.base) + "/api/v2/package", body,
                    {"X-NuGet-ApiKey": key, "Content-Type": content_type})


class Cluster:
    def __init__(self, root, work, log_dir, python, engine):
        self.root, self.work, self.log_dir, self.python, self.engine = root, work, log_dir, python, engine
        self.galley_bin = os.environ.get("GALLEY_BIN") or os.path.join(root, "target", "debug", "galley")
        self.procs = []
        self.pg = None

    def start(self):
        if not os.path.exists(self.galley_bin):
            raise SetupError("no galley binary at %s (cargo build first)" % self.galley_bin)
        database_url = ""
        if self.engine == "postgres":
            # Under target/, not the suite's 0700 temporary folder: the server runs as `postgres` when we are root.
            self.pg = postgres.Server(os.path.join(self.root, "target"), max_connections=100)
            try:
                database_url = self.pg.start()
            except (postgres.SetupImpossible, subprocess.SubprocessError) as e:
                raise SetupError("PostgreSQL: %s" % e)
        try:
            proc, self.endpoint = s3server.start(self.python, os.path.join(self.log_dir, "moto.log"))
        except RuntimeError as e:
            raise SetupError(str(e))
        self.procs.append(proc)
        import boto3  # installed with moto
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=s3server.ACCESS,
                     aws_secret_access_key=s3server.SECRET).create_bucket(Bucket=BUCKET)
        self.a = Node(self.galley_bin, self.work, self.log_dir, "node-a", database_url, self.endpoint)
        self.b = Node(self.galley_bin, self.work, self.log_dir, "node-b", database_url, self.endpoint)
        self.key = self.account(self.a)
        # Every node must hold the same <data-dir>/secret.key: API keys are stored as an HMAC under it
        # and cookies are signed with it (docs/scale-out.md "Production setup").
        shutil.copy2(os.path.join(self.a.data, "secret.key"), os.path.join(self.b.data, "secret.key"))
        if self.engine == "sqlite":
            # Each node its own file: a copy of A's, so the account and its key exist on both.
            src = sqlite3.connect(os.path.join(self.a.data, "galley.db"))
            dst = sqlite3.connect(os.path.join(self.b.data, "galley.db"))
            src.backup(dst)
            src.close()
            dst.close()
        self.a.start(self.procs)
        self.b.start(self.procs)
        self.start_balancer()

    def account(self, node):
        p = node.cli("user", "add", "alice", "--email", "alice@example.com", "--password-stdin", "--admin",
                     stdin=PASSWORD + "\n")
        if p.returncode != 0:
            raise SetupError("galley user add: " + p.stderr[-800:])
        p = node.cli("apikey", "create", "--user", "alice", "--name", "cluster")
        lines = [line.strip() for line in p.stdout.splitlines() if line.strip()]
        if p.returncode != 0 or not lines:
            raise SetupError("galley apikey create: " + p.stderr[-800:])
        return lines[-1]

    def start_balancer(self):
        port = free_port()
        self.balancer = "http://127.0.0.1:%d" % port
        prefix = os.path.join(self.work, "nginx")
        self.nginx_log = os.path.join(prefix, "logs", "upstream.log")
        # Round robin over both nodes. A node that fails a connection is skipped for fail_timeout;
        # a push (PUT, not idempotent) is never retried on the other node by nginx: a client sees
        # the 502 and the suite counts it as not acknowledged.
        site = ("    log_format upstream '$upstream_addr $status $request_method $uri';\n"
                "    upstream galley {\n        server 127.0.0.1:%d max_fails=1 fail_timeout=30s;\n"
                "        server 127.0.0.1:%d max_fails=1 fail_timeout=30s;\n"
                # Kept-alive connections to the nodes, as in production: a new TCP connection per
                # proxied request would cost more than the request itself.
                "        keepalive 64;\n    }\n"
                "    server {\n        listen 127.0.0.1:%d;\n        access_log %s upstream;\n"
                "        client_max_body_size 260m;\n        proxy_request_buffering off;\n"
                "        location / {\n            proxy_pass http://galley;\n            proxy_http_version 1.1;\n"
                "            proxy_set_header Host $http_host;\n            proxy_set_header Connection \"\";\n"
                "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                "            proxy_set_header X-Forwarded-Proto $scheme;\n        }\n    }\n"
                % (self.a.port, self.b.port, port, self.nginx_log))
        proc = nginx.start(prefix, site, worker_connections=256)
        self.procs.append(proc)
        wait_for(proc, self.balancer + "/health", "nginx")

    def upstreams_seen(self, containing=""):
        """The upstream address of each request nginx logged (whose line holds `containing`), in order."""
        try:
            with open(self.nginx_log) as f:
                return [line.split(" ", 1)[0] for line in f if line.strip() and containing in line]
        except OSError:
            return []

    def stop(self):
        for proc in reversed(self.procs):
            stop(proc)
        if self.pg:
            self.pg.stop()
