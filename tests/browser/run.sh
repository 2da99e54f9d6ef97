#!/bin/sh
# Runs the browser tests: the portal's flows, two-factor sign-in, then the XSS walk over every page. Needs node and
# /usr/bin/chromium (the top-level test script installs Debian's chromium); installs only
# playwright-core, under target/, when missing.
set -eu
cd "$(dirname "$0")/../.."
TOOLS=target/browser-tools
if [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
    npm install --prefix "$TOOLS" --no-audit --no-fund playwright-core@1.65.1
fi
if [ -z "${GALLEY_BIN:-}" ]; then
    cargo build --quiet --bin galley
    GALLEY_BIN=target/debug/galley
fi
# Both run even when the first fails, so one report shows every failure.
status=0
GALLEY_BIN="$GALLEY_BIN" node tests/browser/portal.spec.mjs || status=1
GALLEY_BIN="$GALLEY_BIN" node tests/browser/two_factor.spec.mjs || status=1
GALLEY_BIN="$GALLEY_BIN" node tests/browser/xss.spec.mjs || status=1
exit $status
