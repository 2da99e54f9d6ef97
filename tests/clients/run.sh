#!/usr/bin/env bash
# Real NuGet clients (nuget.exe 5.8 and Debian's nuget 2.8.7, both under mono) against a running Galley.
# See run.py for the knobs: GALLEY_BIN, NUGET_EXE, NUGET2, MONO, CASES=v3|v2|nuget2|private|<case prefix>,...,
# CLIENT_TESTS_VERBOSE=1, KEEP_TMP=1. Logs: target/client-tests/. The clients are installed by the caller, never here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
