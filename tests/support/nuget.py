"""The real nuget.exe 5.8 for the loopback suites: where it is (NUGET_EXE, else the npm package
test.sh installs under target/test-tools) and an environment of its own under a work folder (HOME,
caches, no NUGET_* or proxy variables from the caller), so a run never reads or writes the user's."""
import glob
import os
import shutil
import subprocess


def find_exe(root):
    exe = os.environ.get("NUGET_EXE")
    if exe:
        return exe
    hits = sorted(glob.glob(os.path.join(root, "target", "test-tools", "node_modules", "nuget-exe", "*.exe")))
    return hits[0] if hits else None


def mono():
    return shutil.which(os.environ.get("MONO", "mono"))


def client_env(work):
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NUGET_") and "proxy" not in k.lower()}
    home = os.path.join(work, "home")
    env.update({"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config"), "NUGET_PACKAGES": os.path.join(work, "gp"),
                "NUGET_HTTP_CACHE_PATH": os.path.join(work, "hc"), "TMPDIR": os.path.join(work, "tmp"),
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    os.makedirs(env["TMPDIR"], exist_ok=True)
    return env


class Client:
    """nuget.exe with an empty NuGet.Config (no sources but those a command names), logging each
    command (the API key masked) to `log`."""

    def __init__(self, root, work, log):
        self.exe, self.mono, self.work, self.log = find_exe(root), mono(), work, log
        os.makedirs(work, exist_ok=True)
        self.env = client_env(work)
        self.config = os.path.join(work, "NuGet.Config")
        with open(self.config, "w") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear />'
                    '</packageSources></configuration>')

    def present(self):
        return bool(self.exe and self.mono and os.path.exists(self.exe))

    def run(self, *args, secret=None, timeout=240):
        p = subprocess.run([self.mono, self.exe] + list(args) + ["-NonInteractive", "-ConfigFile", self.config],
                           capture_output=True, text=True, timeout=timeout, cwd=self.work, env=self.env,
                           stdin=subprocess.DEVNULL)
        with open(self.log, "a") as f:
            shown = " ".join("<key>" if secret and a == secret else a for a in args)
            f.write("$ nuget %s\n[exit %d]\n%s\n%s\n" % (shown, p.returncode, p.stdout, p.stderr))
        return p
