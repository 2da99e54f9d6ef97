#!/usr/bin/env bash
# The bounded fuzz run of ./test.sh: builds every cargo-fuzz target once, runs each for
# FUZZ_SECONDS (default 35, so seven targets take the time five took at 50 s) two at a time (the CI
# machine has 2 cores), prints the executions per target and fails when any target found a crash,
# a panic, a hang or a memory blow-up.
# A long run for hunting is in fuzz/README.md.
#
#   bash fuzz/run.sh [build|run]     (no argument: both)
#
# The bounded run builds without AddressSanitizer (FUZZ_SANITIZER=none): Galley forbids unsafe
# code, the build is several times faster and the targets run faster; the long runs of the
# README use the default (address).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-35}
jobs=${FUZZ_JOBS:-2}
targets=(nuspec nupkg version odata search pe pdb)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# cargo-fuzz builds with unstable rustc flags (-Zsanitizer=address and the sancov passes), which
# only nightly accepts. Only stable Rust is available here, so RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them; it changes nothing else about the build, and it is set for this build only.
export RUSTC_BOOTSTRAP=1
phase=${1:-all}
if [ "$phase" != run ]; then
  cargo fuzz build --sanitizer "${FUZZ_SANITIZER:-none}"
fi
if [ "$phase" = build ]; then
  exit 0
fi

bin="$root/fuzz/target/x86_64-unknown-linux-gnu/release"
logs="$root/target/fuzz-logs"
mkdir -p "$logs"

run() {
  local target=$1
  # New inputs go to a scratch folder (kept between local runs, so coverage accumulates there);
  # the committed seeds are only read. Crash inputs land in fuzz/artifacts/<target>/.
  mkdir -p "$root/target/fuzz-corpus/$target" "$root/fuzz/artifacts/$target"
  # -timeout: one input running this long is a hang. -rss_limit_mb (and the malloc limit it
  # implies): inputs of a few KB that make the process hold this much are a blow-up.
  "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=1024 \
    -artifact_prefix="$root/fuzz/artifacts/$target/" \
    "$root/target/fuzz-corpus/$target" "$root/fuzz/corpus/$target" >"$logs/$target.log" 2>&1
  echo $? >"$logs/$target.status"
}

rm -f "$logs"/*.status
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  # `set -e` must not end the subshell before it records the status.
  (set +e; run "$target") &
done
wait

status=0
printf '%-8s %12s  %s\n' target executions result
for target in "${targets[@]}"; do
  if [ "$(cat "$logs/$target.status" 2>/dev/null)" = 0 ]; then
    result=ok
  else
    result="FAILED (see $logs/$target.log)"
    status=1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -n 1)
  printf '%-8s %12s  %s\n' "$target" "${executions:-?}" "$result"
done
if ((status)); then
  for target in "${targets[@]}"; do
    grep -q -E '^(==[0-9]+==|SUMMARY|thread .* panicked)' "$logs/$target.log" && tail -n 40 "$logs/$target.log"
  done
  echo "fuzzing found a failure: the crashing inputs are in fuzz/artifacts/ (fuzz/README.md says what to do)"
fi
exit "$status"
