#!/usr/bin/env bash
# Runs every test Galley has. On a fresh Debian machine it first installs what the tests need
# (mono, nuget.exe 5.8 and Debian's nuget 2.8.7 for the real-client tests, the clr-loader wheel (pip) for the
# symbol tests, clamav-daemon for the real-clamd test, chromium and playwright-core for the browser
# tests, nginx for the reverse-proxy test, slapd and ldap-utils for the directory
# sign-in test, postgresql for the database tests on PostgreSQL, Python's prometheus_client for the metrics scrape,
# moto's S3 server (pip, a venv under target/test-tools) for the storage and multi-node suites,
# oidc-provider (npm) for the OpenID Connect suite, cargo-fuzz for the fuzz run);
# later runs skip what is already there.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

step() { printf '\n=== %s\n' "$*"; }

step "installing test dependencies (only what is missing)"
missing=()
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime mono-devel ca-certificates-mono)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The second real client: Debian's NuGet 2.8.7 (tests/clients/run.py, group nuget2); `script` gives its `list` a terminal.
command -v nuget >/dev/null 2>&1 || missing+=(nuget)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
# The storage suite's venv (below) when python3 has no moto of its own.
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# Real-clamd test (tests/scan/clamd_setup.md); it writes its own signatures, no download needed.
[ -x /usr/sbin/clamd ] || command -v clamd >/dev/null 2>&1 || missing+=(clamav-daemon)
# Browser tests drive Debian's Chromium with Playwright (playwright-core, installed by tests/browser/run.sh).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The reverse-proxy suite (tests/proxy/run.py) runs Debian's nginx in front of Galley, openssl makes
# its certificate; the upstream-feed suite (tests/upstream/run.py) has nginx serve a static v3 feed.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The directory sign-in suite (tests/ldap/run.py) starts its own slapd (own config, own database);
# ldap-utils changes the directory during the run.
[ -x /usr/sbin/slapd ] || missing+=(slapd)
command -v ldapmodify >/dev/null 2>&1 || missing+=(ldap-utils)
# The PostgreSQL suite (tests/postgres/run.py) runs Debian's server from /usr/lib/postgresql/*/bin.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
tools="$root/target/test-tools"
if ! ls "$tools"/node_modules/nuget-exe/*.exe >/dev/null 2>&1; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" nuget-exe@5.8.0
fi
NUGET_EXE=$(ls "$tools"/node_modules/nuget-exe/*.exe | head -n 1)
export NUGET_EXE
# The OpenID Connect suite's provider: the npm package oidc-provider, from tests/oidc's lockfile.
if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  npm ci --silent --no-audit --no-fund --prefix tests/oidc
fi
# The metrics scrape is parsed by Prometheus's own Python parser (tests/ops/run.py).
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
  python3 -m pip install --quiet prometheus-client 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages prometheus-client
fi
# A real assembly with its portable PDB for the symbol tests (tests/clients group `symbols`,
# tests/api/symbols.rs): the clr-loader 0.3.1 wheel (MIT), downloaded once, never committed.
if ! ls "$tools"/clr-loader/clr_loader-0.3.1-*.whl >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps clr-loader==0.3.1 -d "$tools/clr-loader"
fi
# The S3-compatible server of the storage suite (tests/s3/run.py): moto's server from PyPI, with
# boto3 as the independent S3 client; in a venv under target/test-tools when python3 lacks it.
S3_PYTHON=python3
if ! python3 -c 'import moto.server, boto3, flask' 2>/dev/null; then
  S3_PYTHON="$tools/s3-venv/bin/python"
  if ! "$S3_PYTHON" -c 'import moto.server, boto3, flask' 2>/dev/null; then
    python3 -m venv "$tools/s3-venv"
    "$S3_PYTHON" -m pip install --quiet 'moto[server]'
  fi
fi

step "formatting, lints and the direction of dependencies"
cargo fmt --all -- --check
python3 tests/architecture/check_imports.py
cargo clippy --all-targets --quiet -- -D warnings

step "unit and in-process integration tests"
# --include-ignored: the real-clamd test, ignored by a plain `cargo test` because it needs clamd.
# GALLEY_TEST_POSTGRES=skip: the tests written for both engines run their SQLite half here and
# both halves in the next step, which owns the PostgreSQL server.
GALLEY_TEST_POSTGRES=skip cargo test --quiet -- --include-ignored

step "PostgreSQL: Debian's server on loopback, the tests written for both engines (SQL layer, ported db modules, both schemas)"
timeout 900 python3 tests/postgres/run.py

cargo build --quiet --bin galley
# The fuzz targets build (a separate, instrumented build of everything) while the next suites,
# which mostly wait on clients, servers and the browser, run; the bounded fuzz run comes last.
step "building the fuzz targets in the background (log: target/fuzz-build.log)"
mkdir -p target
# Its own process group (setsid), so that a failing suite's exit stops the whole build by its PID.
setsid bash fuzz/run.sh build >target/fuzz-build.log 2>&1 &
fuzz_build=$!
trap 'kill -- -"$fuzz_build" 2>/dev/null || true' EXIT

step "real NuGet clients (nuget.exe 5.8, Debian's nuget 2.8.7) against a running server"
GALLEY_BIN="$root/target/debug/galley" bash tests/clients/run.sh

step "operations: --version, ldd of the debug binary, JSON logs (no colour, no secrets), /metrics parsed by prometheus_client"
GALLEY_BIN="$root/target/debug/galley" python3 tests/ops/run.py

step "upstream feeds: nginx and a second Galley as upstreams, nuget.exe 5.8 restoring through them, then offline"
GALLEY_BIN="$root/target/debug/galley" python3 tests/upstream/run.py

step "directory sign-in: Debian's slapd over StartTLS, groups to organizations, the ldap-sync job"
GALLEY_BIN="$root/target/debug/galley" python3 tests/ldap/run.py

step "S3-compatible storage: moto's S3 server, pushes into the bucket, a fresh node (nuget.exe 5.8), a damaged object, migrate --to-storage s3"
GALLEY_BIN="$root/target/debug/galley" PYTHON="$S3_PYTHON" "$S3_PYTHON" tests/s3/run.py

step "several nodes, one feed: PostgreSQL, moto's S3, two nodes behind nginx; nuget.exe 5.8, a node SIGKILLed in a push storm, racing pushes"
PATH="$PATH:/usr/sbin" GALLEY_BIN="$root/target/debug/galley" PYTHON="$S3_PYTHON" timeout 600 "$S3_PYTHON" tests/cluster/run.py

step "crash and fault suite: SIGKILL loop, full disk, read-only data folder, backup during pushes"
GALLEY_BIN="$root/target/debug/galley" python3 tests/faults/run.py

step "the portal in a real browser (Playwright + Chromium): flows, then the XSS walk"
GALLEY_BIN="$root/target/debug/galley" sh tests/browser/run.sh

# After the browser suite, which installs the playwright-core its Chromium sign-in uses.
step "OpenID Connect: a real provider (oidc-provider) on loopback, every refusal over HTTP, Chromium signing in through it"
GALLEY_BIN="$root/target/debug/galley" python3 tests/oidc/run.py

# After the browser suite, which installs the playwright-core the proxy suite's Chromium sign-in uses.
step "behind Debian's nginx (TLS, path prefix /nuget/): nuget.exe push and restore, sign-in over HTTP and in Chromium"
PATH="$PATH:/usr/sbin" GALLEY_BIN="$root/target/debug/galley" python3 tests/proxy/run.py

step "fuzzing every parser of untrusted input for a bounded time (fuzz/README.md)"
if ! wait "$fuzz_build"; then
  tail -n 40 target/fuzz-build.log
  exit 1
fi
bash fuzz/run.sh run

step "all tests passed"
