#!/bin/sh
# Runs the portal's browser test. Needs node and /usr/bin/chromium (the top-level test script
# installs Debian's chromium); installs only playwright-core, under target/, when missing.
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
GALLEY_BIN="$GALLEY_BIN" node tests/browser/portal.spec.mjs
