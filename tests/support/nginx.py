"""Debian's nginx in the foreground with its own prefix folder (pid file, logs and temp paths
there, nothing under /var), for the suites that put it in front of Galley. `http_block` is what
goes inside `http { }`: a server block, upstreams. The caller stops the process by its PID."""
import os
import shutil
import subprocess


def binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


def config(prefix, http_block, worker_connections=64):
    """The whole nginx.conf around `http_block`, every path under `prefix`."""
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    temps = "".join("    %s_temp_path %s/%s;\n" % (k, prefix, k) for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return ("worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents { worker_connections %d; }\n"
            "http {\n    access_log %s/logs/access.log;\n%s%s}\n" % (prefix, prefix, worker_connections, prefix, temps, http_block))


def start(prefix, http_block, worker_connections=64):
    """Writes `prefix`/nginx.conf and starts nginx on it (daemon off): the process."""
    text = config(prefix, http_block, worker_connections)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    return subprocess.Popen([binary(), "-p", prefix, "-e", os.path.join(prefix, "logs", "error.log"), "-c", conf,
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
