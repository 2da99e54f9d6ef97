#!/usr/bin/env bash
# Runs every test Galley has. On a fresh Debian machine it first installs what the tests need
# (mono and nuget.exe 5.8 for the real-client tests, clamav-daemon for the real-clamd test,
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
# Real-clamd test (tests/scan/clamd_setup.md); it writes its own signatures, no download needed.
[ -x /usr/sbin/clamd ] || command -v clamd >/dev/null 2>&1 || missing+=(clamav-daemon)
# Browser tests drive Debian's Chromium with Playwright (playwright-core, installed by tests/browser/run.sh).
[ -x /usr/bin/chromium ] || missing+=(chromium)
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

step "real nuget.exe client against a running server"
cargo build --quiet --bin galley
GALLEY_BIN="$root/target/debug/galley" bash tests/clients/run.sh

step "the portal in a real browser (Playwright + Chromium)"
GALLEY_BIN="$root/target/debug/galley" sh tests/browser/run.sh

step "fuzzing every parser of untrusted input for a bounded time (fuzz/README.md)"
bash fuzz/run.sh

step "all tests passed"
