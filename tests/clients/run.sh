#!/usr/bin/env bash
# Real nuget.exe (5.8, under mono) against a running Galley. See run.py for the knobs:
#   GALLEY_BIN, NUGET_EXE, MONO, CASES=v3|v2|<case prefix>,..., CLIENT_TESTS_VERBOSE=1, KEEP_TMP=1
# Logs: target/client-tests/. mono and nuget.exe are installed by the caller, never here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
