#!/usr/bin/env bash
# The whole locus test suite, from a fresh Debian 12 machine:
#   installs what is missing, checks formatting, builds the host (ASan+UBSan) and the firmware
#   images, runs every CTest suite on 2 cores, and each libFuzzer target briefly.
#   Exit code: the first step that fails. clang-tidy gates the board-side trees (see below).
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

# clang-tidy over the board-side trees (firmware/, crypto/, protocol/, boards/), full runs only;
# the host side is not clean yet (scripts/check-tidy.sh prints its findings).
if [ "$#" -eq 0 ]; then
  echo "== clang-tidy on firmware/, crypto/, protocol/, boards/ (warnings as errors)"
  bash scripts/check-tidy.sh build/host-asan build/fw-cortex-m4 firmware/ crypto/ protocol/ boards/
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
