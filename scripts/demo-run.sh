#!/usr/bin/env bash
# Runs the demo scenario against an existing build tree (called by scripts/demo.sh).
set -euo pipefail
BUILD="${1:?usage: demo-run.sh BUILD_DIR}"
echo "locus demo: not yet wired (build tree: $BUILD)"
