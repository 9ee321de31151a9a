#!/usr/bin/env bash
# The whole locus test suite, from a fresh Debian 12 machine:
#   installs what is missing, checks formatting, builds the host (ASan+UBSan) and the firmware
#   images, runs clang-tidy over the whole tree, every CTest suite on 2 cores, and each
#   libFuzzer target briefly. Exit code: the first step that fails.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L kat          pass extra arguments to ctest (e.g. a label)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh --test

echo "== checking formatting (.clang-format, clang-format 14)"
bash scripts/check-format.sh

JOBS="${LOCUS_JOBS:-2}"
echo "== building firmware images (preset fw-cortex-m4)"
cmake --preset fw-cortex-m4 >/dev/null
cmake --build --preset fw-cortex-m4 -j "$JOBS"

echo "== building host tools and tests (preset host-asan)"
cmake --preset host-asan -DLOCUS_FW_BUILD_DIR="$ROOT/build/fw-cortex-m4" >/dev/null
cmake --build --preset host-asan -j "$JOBS"

# clang-tidy over every translation unit of both builds (board side and host side, tests and
# benchmarks included), with the repository's .clang-tidy files and warnings as errors; full
# runs only. It prints its wall time (4m16s with 2 jobs on the 2-core CI VM, whole tree).
if [ "$#" -eq 0 ]; then
  echo "== clang-tidy on the whole tree (warnings as errors)"
  bash scripts/check-tidy.sh build/host-asan build/fw-cortex-m4
fi

echo "== running tests"
cd build/host-asan
ctest -j "$JOBS" --output-on-failure --timeout 600 "$@"

# Coverage-guided fuzzing (full runs only): every libFuzzer target of tests/fuzz for a few
# seconds (preset host-fuzz: clang-14, libFuzzer + ASan + UBSan; long campaigns: scripts/fuzz.sh).
if [ "$#" -eq 0 ]; then
  echo "== fuzzing every target briefly (preset host-fuzz)"
  cd "$ROOT"
  cmake --preset host-fuzz >/dev/null
  cmake --build build/host-fuzz -j "$JOBS" --target locus_fuzzers
  ctest --test-dir build/host-fuzz -L fuzz -j "$JOBS" --output-on-failure
fi
