#!/usr/bin/env bash
# Coverage-guided fuzzing campaigns over the libFuzzer targets of tests/fuzz (docs/threat-model.md).
#
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh core 600        one target (tests/fuzz/targets/core.cpp), 600 s
#   scripts/fuzz.sh all 120         every target, 120 s each
#
# Builds preset host-fuzz (clang-14, libFuzzer + ASan + UBSan) when needed, runs each target
# for SECONDS under `nice -n 10` (new inputs go to a scratch folder in the build tree), merges
# what adds coverage into the committed corpus tests/fuzz/corpus/<target>/ (libFuzzer
# -merge=1), copies every crash/leak/timeout/oom input to tests/fuzz/regressions/<target>/
# (the normal test run replays that folder), and prints one table row per target:
# executions, execs/s, coverage (cov = edges, ft = features, from libFuzzer's final status
# line), corpus files after the merge, inputs the merge added, crashes. Exit status 1 if any
# target crashed. Environment: LOCUS_FUZZ_NICE (default 10), LOCUS_JOBS (build jobs, 2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${1:-all}"
SECONDS_PER_TARGET="${2:-60}"
NICE="${LOCUS_FUZZ_NICE:-10}"
JOBS="${LOCUS_JOBS:-2}"
BUILD="$ROOT/build/host-fuzz"
FUZZ_BIN="$BUILD/tests/fuzz"
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*) echo "SECONDS must be a whole number" >&2; exit 2;; esac

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake --preset host-fuzz "${launcher[@]}" >/dev/null
fi
if [ "$TARGET" = all ]; then
  nice -n "$NICE" cmake --build "$BUILD" -j "$JOBS" --target locus_fuzzers
  mapfile -t targets < <(sed -n 's/^LOCUS_FUZZ_TARGET(\(.*\))$/\1/p' "$FUZZ_BIN/gen/fuzz_target_table.inc")
else
  if [ ! -f "tests/fuzz/targets/$TARGET.cpp" ]; then
    echo "unknown target $TARGET (tests/fuzz/targets/*.cpp)" >&2
    exit 2
  fi
  nice -n "$NICE" cmake --build "$BUILD" -j "$JOBS" --target "fuzz_$TARGET"
  targets=("$TARGET")
fi

rows=()
total_crashes=0
for t in "${targets[@]}"; do
  work="$FUZZ_BIN/campaign/$t"
  rm -rf "$work"
  mkdir -p "$work/new" "$work/artifacts"
  corpus="tests/fuzz/corpus/$t"
  regress="tests/fuzz/regressions/$t"
  dirs=("$work/new" "$corpus")
  [ -d "$regress" ] && dirs+=("$regress")
  args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$work/artifacts/")
  dict="$(cat "$FUZZ_BIN/work/$t/dict" 2>/dev/null || true)"
  [ -n "$dict" ] && args+=(-dict="$dict")
  echo "== $t: ${SECONDS_PER_TARGET} s" >&2
  set +e
  nice -n "$NICE" "$FUZZ_BIN/fuzz_$t" "${args[@]}" "${dirs[@]}" >"$work/log" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
  status_line="$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")"
  before=$(find "$corpus" -type f | wc -l)
  # Keep only what adds coverage to the committed corpus.
  nice -n "$NICE" "$FUZZ_BIN/fuzz_$t" -merge=1 -timeout=20 -rss_limit_mb=2048 "$corpus" "$work/new" \
    >"$work/merge.log" 2>&1 || true
  after=$(find "$corpus" -type f | wc -l)
  crashes=0
  for a in "$work"/artifacts/*; do
    [ -f "$a" ] || continue
    mkdir -p "$regress"
    cp "$a" "$regress/$(basename "$a")"
    crashes=$((crashes + 1))
  done
  if [ "$crashes" -eq 0 ] && [ "$rc" -ne 0 ]; then crashes=1; fi  # died without an artifact
  total_crashes=$((total_crashes + crashes))
  rows+=("$(printf '%-16s %12s %9s %7s %7s %7s %5s %7s' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
    "$after" "+$((after - before))" "$crashes")")
done

printf '%-16s %12s %9s %7s %7s %7s %5s %7s\n' target execs execs/s cov ft corpus new crashes
printf '%s\n' "${rows[@]}"
echo "($SECONDS_PER_TARGET s per target; logs in $FUZZ_BIN/campaign/<target>/log;" \
  "crash inputs copied to tests/fuzz/regressions/<target>/)"
[ "$total_crashes" -eq 0 ]
