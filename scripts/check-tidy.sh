#!/usr/bin/env bash
# clang-tidy 14 over every translation unit of the tree, with the .clang-tidy files of the
# repository and warnings as errors. scripts/test.sh runs it after the builds.
#
#   scripts/check-tidy.sh HOST_BUILD FW_BUILD [--fix] [--jobs N] [PATH_PREFIX ...]
#
# HOST_BUILD and FW_BUILD are configured build directories (their compile_commands.json):
# host files are checked as the host build compiles them; files only the firmware build
# compiles (the Cortex-M boards, the on-target runners) as arm-none-eabi code, with GCC's
# newlib and libstdc++ headers. PATH_PREFIXes (relative to the root) limit the files.
# --fix applies the fix-its clang-tidy offers (then run scripts/check-format.sh --fix).
# Output: one line per finding, a count per check, the wall time, exit 1 if there is any finding.
set -euo pipefail
START="$(date +%s)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ "$#" -ge 2 ] || usage
HOST_BUILD="$(cd "$1" && pwd)"
FW_BUILD="$(cd "$2" && pwd)"
shift 2
FIX=""
JOBS="${LOCUS_JOBS:-2}"
PREFIXES=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --fix) FIX="--fix-errors" ;;
    --jobs) JOBS="$2"; shift ;;
    -h|--help) usage ;;
    *) PREFIXES+=("$1") ;;
  esac
  shift
done
TIDY="$(command -v clang-tidy-14 || true)"
if [ -z "$TIDY" ]; then
  echo "check-tidy: clang-tidy-14 is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 2
fi
for b in "$HOST_BUILD" "$FW_BUILD"; do
  if [ ! -f "$b/compile_commands.json" ]; then
    echo "check-tidy: $b/compile_commands.json is missing (configure that build first)" >&2
    exit 2
  fi
done

# GCC's own header directories for the arm-none-eabi translation units (clang does not know
# where Debian's cross toolchain keeps newlib and libstdc++).
FW_ARGS=(--extra-arg-before=--target=arm-none-eabi --extra-arg=-Wno-unknown-warning-option)
GXX="$(command -v arm-none-eabi-g++ || true)"
if [ -n "$GXX" ]; then
  while read -r d; do
    FW_ARGS+=("--extra-arg=-isystem$(realpath "$d")")
  done < <(echo | "$GXX" -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -xc++ -E -v - 2>&1 |
           sed -n '/#include <...> search starts here:/,/End of search list./p' | sed '1d;$d')
fi

# The file lists: each tracked source once, from the host build if it compiles it there.
LIST="$(mktemp -d)"
trap 'rm -rf "$LIST"' EXIT
python3 - "$ROOT" "$HOST_BUILD" "$FW_BUILD" "$LIST" "${PREFIXES[@]+"${PREFIXES[@]}"}" <<'EOF'
import json, os, subprocess, sys
root, host, fw, out = sys.argv[1:5]
prefixes = sys.argv[5:]
tracked = set(subprocess.check_output(["git", "-C", root, "ls-files"], text=True).split())
def files(build):
    seen = []
    for e in json.load(open(os.path.join(build, "compile_commands.json"))):
        rel = os.path.relpath(os.path.realpath(os.path.join(e["directory"], e["file"])), root)
        if rel in tracked and (not prefixes or any(rel.startswith(p) for p in prefixes)):
            seen.append(rel)
    return sorted(set(seen))
h = files(host)
f = [x for x in files(fw) if x not in set(h)]
board = ("firmware/", "crypto/src/", "crypto/include/", "protocol/", "boards/")
hb = [x for x in h if x.startswith(board)]
hh = [x for x in h if not x.startswith(board)]
for name, xs in (("host-board", hb), ("host", hh), ("fw", f)):
    open(os.path.join(out, name), "w").write("".join(x + "\n" for x in xs))
print(f"check-tidy: {len(h)} host and {len(f)} firmware-only translation units", file=sys.stderr)
EOF

run() {  # run BUILD LISTFILE EXTRA_ARGS...
  local build="$1" list="$2"
  shift 2
  [ -s "$list" ] || return 0
  # Parallel runs with --fix would edit a shared header twice: fix one file at a time.
  local jobs="$JOBS"
  [ -z "$FIX" ] || jobs=1
  xargs -a "$list" -P "$jobs" -n 1 "$TIDY" -p "$build" --quiet $FIX "$@" 2>/dev/null || true
}
# Host-side files (host/, tests/, bench/, crypto/x509_host/) are parsed with
# -fdelayed-template-parsing: a function template's body is parsed only if the file
# instantiates it, so the thousands of templates of the header-only libraries they include
# (CLI11, nlohmann/json, cpp-httplib, toml++) that a file never uses are neither parsed nor
# matched. Measured (CPU time): host/cli/cmd_explain.cpp 10.5 s -> 9.3 s,
# tests/audit/test_merkle.cpp 7.1 s -> 5.3 s. The price: a
# template of ours that no file instantiates is not checked (dead code, which the compilers
# still build). Board-side files, few templates and no such libraries, are parsed as compiled.
{
  run "$HOST_BUILD" "$LIST/host-board"
  run "$HOST_BUILD" "$LIST/host" --extra-arg=-fdelayed-template-parsing
  run "$FW_BUILD" "$LIST/fw" "${FW_ARGS[@]}"
} >"$LIST/out.txt"

took() {
  local t=$(($(date +%s) - START))
  local jobs="$JOBS"
  [ -z "$FIX" ] || jobs=1
  printf 'check-tidy: wall time %dm%02ds (%s jobs)\n' $((t / 60)) $((t % 60)) "$jobs" >&2
}

# One line per finding (a header's finding is reported by every file that includes it).
grep -E '^[^ ].*:[0-9]+:[0-9]+: (error|warning): .*\[[a-z0-9.,-]+\]$' "$LIST/out.txt" |
  sed "s|^$ROOT/||" | sort -u >"$LIST/findings.txt" || true
n="$(wc -l <"$LIST/findings.txt")"
# Compiler errors (a file that does not parse) are findings too.
if grep -qE ': error: .*\[clang-diagnostic-error\]$|error: unable to|fatal error:' "$LIST/out.txt"; then
  grep -E 'clang-diagnostic-error|fatal error:|error: unable to' "$LIST/out.txt" | sed "s|^$ROOT/||" | sort -u >&2
  n=$((n + 1))
fi
if [ "$n" -gt 0 ]; then
  cat "$LIST/findings.txt"
  echo "check-tidy: $n findings; by check:" >&2
  sed -E 's/.*\[([a-z0-9.-]+)(,-warnings-as-errors)?\]$/\1/' "$LIST/findings.txt" | sort | uniq -c |
    sort -rn >&2
  took
  exit 1
fi
echo "check-tidy: no findings"
took
