#!/usr/bin/env bash
# Every C/C++ file git tracks is formatted as .clang-format says (clang-format 14, Debian 12),
# and every text file follows .editorconfig (scripts/check_editorconfig.py).
#   scripts/check-format.sh          list the files that differ; exit 1 if any
#   scripts/check-format.sh --fix    rewrite them in place
# Raw string literals and URLs may stay over the 100-column limit: clang-format cannot break them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CF="$(command -v clang-format-14 || true)"
if [ -z "$CF" ]; then
  echo "check-format: clang-format-14 is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.cc' '*.cpp' '*.h' '*.hpp')
if [ "${1:-}" = "--fix" ]; then
  printf '%s\0' "${files[@]}" | xargs -0 "$CF" -i
  echo "check-format: formatted ${#files[@]} files"
  python3 scripts/check_editorconfig.py --fix
  exit 0
fi
# One clang-format run per batch of files; a file that needs formatting is named in a
# "code should be clang-formatted" warning. Any other failure is shown, not taken for a verdict.
out="$(printf '%s\0' "${files[@]}" | xargs -0 -n 64 "$CF" --dry-run --Werror 2>&1 >/dev/null)" || true
mapfile -t bad < <(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if [ "${#bad[@]}" -eq 0 ] && [ -n "$out" ]; then
  echo "check-format: clang-format failed:" >&2
  printf '%s\n' "$out" | head -20 >&2
  exit 2
fi
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted (fix: scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: all ${#files[@]} C/C++ files formatted"
python3 scripts/check_editorconfig.py
