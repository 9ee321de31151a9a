#!/usr/bin/env bash
# The locus end-to-end demo, from a fresh Debian 12 machine: installs what is missing,
# builds, and runs the demo scenario (see README.md, "What the demo shows").
#
#   scripts/demo.sh                        boards are host-sim processes (fastest)
#   scripts/demo.sh --board ast1030-evb    the real firmware image on QEMU's AST1030 MiniBMC
#   scripts/demo.sh --board mps2-an386     the real firmware image on QEMU's MPS2 AN386
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOARD=host-sim
case "${1:-}" in
  "") ;;
  --board) BOARD="${2:?usage: demo.sh [--board host-sim|ast1030-evb|mps2-an386]}" ;;
  *) echo "usage: demo.sh [--board host-sim|ast1030-evb|mps2-an386]" >&2; exit 2 ;;
esac
case "$BOARD" in
  host-sim|ast1030-evb|mps2-an386) ;;
  *) echo "demo: unknown board '$BOARD' (host-sim, ast1030-evb, mps2-an386)" >&2; exit 2 ;;
esac
bash scripts/bootstrap.sh
JOBS="${LOCUS_JOBS:-2}"
cmake --preset host-release >/dev/null
cmake --build --preset host-release -j "$JOBS" >/dev/null
if [[ "$BOARD" == host-sim ]]; then
  exec "$ROOT/scripts/demo-run.sh" "$ROOT/build/host-release"
fi
cmake --preset fw-cortex-m4 >/dev/null
cmake --build --preset fw-cortex-m4 -j "$JOBS" >/dev/null
exec "$ROOT/scripts/demo-run.sh" "$ROOT/build/host-release" --board "$BOARD" --fw-build "$ROOT/build/fw-cortex-m4"
