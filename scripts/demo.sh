#!/usr/bin/env bash
# The locus end-to-end demo, from a fresh Debian 12 machine: installs what is missing,
# builds, and runs the demo scenario (see README.md, "What the demo shows").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
JOBS="${LOCUS_JOBS:-2}"
cmake --preset host-release >/dev/null
cmake --build --preset host-release -j "$JOBS" >/dev/null
exec "$ROOT/scripts/demo-run.sh" "$ROOT/build/host-release"
