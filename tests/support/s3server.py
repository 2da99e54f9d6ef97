"""moto's S3 server (PyPI `moto[server]`, speaking the S3 REST protocol) on a free loopback port,
for the suites that store packages in a bucket; `python` is the interpreter that has moto (test.sh's
S3 python). The caller stops `proc` by its PID (loopback.stop)."""
import subprocess
import time

from loopback import free_port, http

ACCESS, SECRET = "test-access-key", "test-secret-key"


def start(python, log_path, timeout_s=30):
    """(process, endpoint URL) once the server answers; raises RuntimeError otherwise."""
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    log = open(log_path, "ab")
    proc = subprocess.Popen([python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("moto server exited with %d before answering (log: %s)" % (proc.returncode, log_path))
        if http("GET", endpoint + "/", timeout=2)[0] is not None:
            return proc, endpoint
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=15)
    raise RuntimeError("moto server did not answer %s within %d s" % (endpoint, timeout_s))
