"""What every loopback suite under tests/ needs the same way: a free port on 127.0.0.1, a process
stopped by its PID (SIGTERM, then SIGKILL, both bounded), and one HTTP request that answers
(status, body) instead of raising (status None when nothing answered), and an opener handler that
leaves redirects to the test to check."""
import signal
import socket
import subprocess
import urllib.error
import urllib.request


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, data=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return None, str(e).encode()


def http_via(opener, method, url, data=None, headers=None, timeout=20):
    """One request through `opener` (cookies, TLS, no redirects…): (status, headers, body). A
    refused or dropped connection raises: these suites only call a server they saw answer."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands a 3xx back as it came, so a test sees where a browser would be sent."""

    def redirect_request(self, *args, **kwargs):
        return None
