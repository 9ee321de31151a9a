#!/usr/bin/env bash
# qemu_bench.sh: figures for the firmware on the QEMU Cortex-M4 boards.
#
#   bench/qemu_bench.sh [firmware build dir] [host build dir]
#        (defaults: build/fw-cortex-m4; host: build/host-release, else build/host-debug)
#
# Per board: flash/RAM of the firmware image (arm-none-eabi-size), and from the bench image
# (bench/qemu_bench_target.cpp) run under `qemu-system-arm -icount shift=0` — where the
# virtual clock advances 1 ns per guest instruction — the instruction counts of boot,
# evidence signing, license verification, one timed-round answer and one journal-slot flash
# commit, and the peak stack. With a host build (bench/qemu_rtt, `locus`), also per board: the
# round trip of one timed round as a landmark sees it through the QEMU UART (wall clock,
# plain TCG), and agent start -> FULL on the QEMU board (bench/qemu_e2e.sh).
# Targets (DESIGN/brief): text <= 128 KiB, static RAM + peak stack <= 48 KiB,
# timed-round answer <= 500 instructions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FW="${1:-$ROOT/build/fw-cortex-m4}"
HOSTB="${2:-}"
if [[ -z "$HOSTB" ]]; then
  for h in "$ROOT/build/host-release" "$ROOT/build/host-debug"; do
    [[ -x "$h/bench/qemu_rtt" && -x "$h/host/cli/locus" ]] && { HOSTB="$h"; break; }
  done
fi
IMG="$FW/images"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/locus-qemu-bench-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

declare -A UDS_ADDR=([mps2-an386]=0x003FF000 [ast1030-evb]=0x0007F000)

printf '%-12s %-28s %12s\n' "board" "figure" "value"
for board in mps2-an386 ast1030-evb; do
  fw="$IMG/locus-fw-$board.elf"
  bench="$IMG/locus-bench-$board.elf"
  [[ -f "$fw" && -f "$bench" ]] || { echo "missing $fw or $bench (build the fw-cortex-m4 tree)" >&2; exit 1; }
  read -r text data bss _ < <(arm-none-eabi-size "$fw" | awk 'NR==2{print $1, $2, $3}')
  sym() { arm-none-eabi-nm "$fw" | awk -v s="$1" '$3==s{print $1}'; }
  stack_res=$(( 16#$(sym __stack_top) - 16#$(sym __stack_limit) ))
  static_ram=$((data + bss - stack_res))

  out="$WORK/$board.txt"
  timeout 120 qemu-system-arm -M "$board" -icount shift=0 -nographic -monitor none \
    -semihosting-config "enable=on,target=native,arg=bench,arg=storage=$WORK/$board-storage.bin,arg=otp=$WORK/$board-otp.bin" \
    -kernel "$bench" -device "loader,file=$ROOT/tests/qemu/fixtures/uds-test-$board.hex" \
    2>"$WORK/$board.log" | tr -d '\r' | grep -a '^bench ' >"$out" || true
  grep -q '^bench FAILED' "$out" && { cat "$out" "$WORK/$board.log" >&2; exit 1; }
  get() { awk -v k="$1" '$2==k{print $3}' "$out"; }
  peak=$(get stack_high_water_bytes)
  [[ -n "$peak" ]] || { echo "bench image on $board produced no figures" >&2; cat "$WORK/$board.log" >&2; exit 1; }

  row() { printf '%-12s %-28s %12s\n' "$board" "$1" "$2"; }
  row "text (flash) bytes" "$text"
  row "data bytes" "$data"
  row "bss bytes (w/o stack)" "$((bss - stack_res))"
  row "peak stack bytes" "$peak"
  row "static RAM + peak stack" "$((static_ram + peak))"
  row "Core object bytes" "$(get core_object_bytes)"
  row "crypto arena bytes" "$(get crypto_arena_capacity_bytes)"
  row "crypto arena peak bytes" "$(get crypto_arena_peak_bytes)"
  row "boot_to_ready instr" "$(get boot_to_ready)"
  row "get_identity instr" "$(get get_identity)"
  row "evidence_sign instr" "$(get evidence_sign)"
  row "license_verify instr" "$(get license_verify_apply)"
  row "lm_setup instr" "$(get lm_setup)"
  row "lm_close instr" "$(get lm_close)"
  row "timed_round (handle) instr" "$(get timed_round_handle)"
  row "timed_round (wire) instr" "$(get timed_round_wire)"
  row "flash commit (1 slot) instr" "$(get flash_commit_slot)"
  row "storage read (1 slot) instr" "$(get storage_read_slot)"
  row "otp program (32 B) instr" "$(get otp_program_32)"
  row "clock resolution instr" "$((1000000000 / $( [[ $board == mps2-an386 ]] && echo 25000000 || echo 200000000 )))"
  verdict=ok
  (( text <= 131072 )) || verdict="text over 128 KiB"
  (( static_ram + peak <= 49152 )) || verdict="RAM over 48 KiB"
  row "budget check" "$verdict"
done

# What a real UART adds per timed round: the 13-byte fast frame is 2 flags + rev + 2 len +
# 13 payload + 2 FCS = 20 bytes on the wire each way (docs/protocol.md, "Framing"; byte
# stuffing adds ~0.1 byte on random payloads), 10 bits per byte (8N1), both directions.
echo
python3 - <<'PY'
frame = 2 + 1 + 2 + 13 + 2
bits = 2 * frame * 10
c_km_per_s = 299792.458
for name, baud in (("115200 baud (the AST1030 default console rate)", 115200),
                   ("1.5 Mbaud (24 MHz UART clock / 16, divisor 1: the fastest the AST1030 UART allows)", 1500000)):
    t = bits / baud
    print("uart round trip: %-84s %8.1f us = %6.1f km" % (name, t * 1e6, c_km_per_s * t / 2))
for name, bps in (("SPI at 50 MHz", 50e6), ("a 1 Gbit/s link", 1e9)):
    t = bits / 1.25 / bps  # no start/stop bits
    print("link round trip: %-84s %8.2f us = %6.2f km" % (name, t * 1e6, c_km_per_s * t / 2))
PY

# Wall-clock figures through the emulated UART (plain TCG, as the demo and the tests run):
# they depend on the host's load, so the load average is printed with them.
if [[ -n "$HOSTB" ]]; then
  echo
  echo "host build $HOSTB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  for board in mps2-an386 ast1030-evb; do
    "$HOSTB/bench/qemu_rtt" --board "$board" --image "$IMG/locus-fw-$board.elf" --sessions 10 --rounds 64
  done
  for board in mps2-an386 ast1030-evb; do
    "$ROOT/bench/qemu_e2e.sh" "$HOSTB" "$IMG/locus-fw-$board.elf" "$board"
  done
else
  echo "(no host build with bench/qemu_rtt and locus: skipping the UART round trip and agent -> FULL)"
fi
