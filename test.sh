#!/usr/bin/env bash
# Runs every test Galley has. On a fresh Debian machine it first installs what the tests need
# (mono, nuget.exe 5.8 and Debian's nuget 2.8.7 for the real-client tests, clamav-daemon for the real-clamd test,
# chromium and playwright-core for the browser tests, cargo-fuzz for the fuzz run);
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
# Real-clamd test (tests/scan/clamd_setup.md); it writes its own signatures, no download needed.
[ -x /usr/sbin/clamd ] || command -v clamd >/dev/null 2>&1 || missing+=(clamav-daemon)
# Browser tests drive Debian's Chromium with Playwright (playwright-core, installed by tests/browser/run.sh).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Upstream-feed tests (tests/upstream/run.py): nginx serves a static v3 feed.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
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

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings

step "unit and in-process integration tests"
GALLEY_REQUIRE_CLAMD=1 cargo test --quiet

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

step "upstream feeds: nginx and a second Galley as upstreams, nuget.exe 5.8 restoring through them, then offline"
GALLEY_BIN="$root/target/debug/galley" python3 tests/upstream/run.py

step "crash and fault suite: SIGKILL loop, full disk, read-only data folder, backup during pushes"
GALLEY_BIN="$root/target/debug/galley" python3 tests/faults/run.py

step "the portal in a real browser (Playwright + Chromium): flows, then the XSS walk"
GALLEY_BIN="$root/target/debug/galley" sh tests/browser/run.sh

step "fuzzing every parser of untrusted input for a bounded time (fuzz/README.md)"
if ! wait "$fuzz_build"; then
  tail -n 40 target/fuzz-build.log
  exit 1
fi
bash fuzz/run.sh run

step "all tests passed"
