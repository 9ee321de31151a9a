#!/usr/bin/env bash
# qemu_e2e.sh: agent start -> FULL on a QEMU board (wall clock, plain TCG).
#
#   bench/qemu_e2e.sh HOST_BUILD_DIR FIRMWARE.elf BOARD [RUNS]
#
# Sets up a CA, a license key, a verifier (policy: this image's FWID, no landmarks, no TPM)
# and the board (scripts/qemu-board), enrolls it, then times RUNS (default 5) runs of
# `locus agent run --once` from process start to exit with the board FULL (nonce, evidence
# signed on the board, appraisal, license verified and committed to the board's storage).
# Prints the board's boot time (launcher start -> "boot: ready") and min/median of the runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOSTB="$(cd "${1:?usage: qemu_e2e.sh HOST_BUILD_DIR FIRMWARE.elf BOARD [RUNS]}" && pwd)"
ELF="$(cd "$(dirname "${2:?firmware ELF}")" && pwd)/$(basename "$2")"
BOARD="${3:?board}"
RUNS="${4:-5}"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$RUNS" -le 50 ]] || { echo "RUNS must be 1..50" >&2; exit 2; }
LOCUS="$HOSTB/host/cli/locus"
QB="$ROOT/scripts/qemu-board"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/locus-qemu-e2e-XXXXXX")"
VPID=""
cleanup() {
  [[ -n "$VPID" ]] && { kill "$VPID" 2>/dev/null || true; wait "$VPID" 2>/dev/null || true; }
  "$QB" stop --dir "$WORK/board" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

"$LOCUS" provision init-ca --key ca.key --cert ca.pem >/dev/null
"$LOCUS" provision init-license-key --key license.key --pub license.pub >/dev/null
FWID="$("$QB" fwid --image "$ELF")"
cat >policy.toml <<POL
verifier_id = "bench"
lease_s = 600
nonce_ttl_s = 60
[hwmodel."locus-qemu-$BOARD"]
fwids = ["$FWID"]
min_svn = 0
allow_debug = true
[site.lab]
zones = [{lat = 47.37, lon = 8.54, radius_km = 50}]
POL
"$LOCUS" verifier serve --policy policy.toml --db locus.db --ca ca.pem --license-key license.key \
  --listen 127.0.0.1:0 >verifier.out 2>verifier.log &
VPID=$!
for _ in $(seq 1 150); do grep -q "listening on" verifier.out 2>/dev/null && break; sleep 0.1; done
ADDR="$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' verifier.out | head -n1)"
[[ -n "$ADDR" ]] || { echo "qemu_e2e: verifier did not start" >&2; cat verifier.log >&2; exit 1; }

t0=$(ms)
"$QB" start --board "$BOARD" --image "$ELF" --dir "$WORK/board" >board.out
t1=$(ms)
LINK="$(sed -n 's/^LOCUS_QEMU_BOARD .* link=\([^ ]*\).*/\1/p' board.out)"
"$LOCUS" provision enroll --link "$LINK" --site lab --host h1 --ca-key ca.key --ca-cert ca.pem \
  --license-key license.pub --db locus.db >enroll.txt 2>&1 || { cat enroll.txt >&2; exit 1; }
TIMES=()
for _ in $(seq 1 "$RUNS"); do
  a=$(ms)
  "$LOCUS" agent run --once --link "$LINK" --verifier "http://$ADDR" >run.txt 2>&1 || { cat run.txt >&2; exit 1; }
  b=$(ms)
  grep -q "interconnect FULL" run.txt || { cat run.txt >&2; exit 1; }
  TIMES+=($((b - a)))
done
read -r MIN MED < <(printf '%s\n' "${TIMES[@]}" | sort -n | awk '{v[NR]=$1} END {print v[1], v[int((NR+1)/2)]}')
printf 'qemu_e2e: %-12s board start -> boot ready %6d ms; agent start -> FULL (%d runs) min %6d ms, median %6d ms\n' \
  "$BOARD" $((t1 - t0)) "$RUNS" "$MIN" "$MED"
