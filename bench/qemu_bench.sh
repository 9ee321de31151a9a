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
# ast1030-evb is measured at two UART settings in the same run, the build's default
# (LOCUS_AST1030_UART_BAUD, 115200 = divisor 1, the fastest the AST1030 UART allows) and the
# build's second rate (images/locus-{fw,bench}-ast1030-evb-uart<baud>.elf), and the two are
# compared in one table with what a real UART at each rate would add.
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
if [[ -n "$HOSTB" && ! ( -x "$HOSTB/bench/qemu_rtt" && -x "$HOSTB/host/cli/locus" ) ]]; then
  echo "host build $HOSTB has no bench/qemu_rtt and host/cli/locus (cmake --build $HOSTB --target qemu_rtt locus)" >&2
  exit 1
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/locus-qemu-bench-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

declare -A UDS_ADDR=([mps2-an386]=0x003FF000 [ast1030-evb]=0x0007F000)

# run_bench BOARD ELF TAG: the bench image under -icount shift=0; its "bench <name> <n>" lines
# in $WORK/TAG.txt, the whole console in $WORK/TAG.out (the ast1030-evb "uart:" boot line).
run_bench() {
  timeout 120 qemu-system-arm -M "$1" -icount shift=0 -nographic -monitor none \
    -semihosting-config "enable=on,target=native,arg=bench,arg=storage=$WORK/$3-storage.bin,arg=otp=$WORK/$3-otp.bin" \
    -kernel "$2" -device "loader,file=$ROOT/tests/qemu/fixtures/uds-test-$1.hex" \
    2>"$WORK/$3.log" | tr -d '\r' >"$WORK/$3.out" || true
  grep -a '^bench ' "$WORK/$3.out" >"$WORK/$3.txt" || true
  grep -q '^bench FAILED' "$WORK/$3.txt" && { cat "$WORK/$3.txt" "$WORK/$3.log" >&2; exit 1; }
  grep -q '^bench stack_high_water_bytes ' "$WORK/$3.txt" ||
    { echo "bench image $2 produced no figures" >&2; cat "$WORK/$3.log" >&2; exit 1; }
}

# The ast1030-evb images at the build's second UART rate (exactly one of each).
shopt -s nullglob
second_fw=("$IMG"/locus-fw-ast1030-evb-uart*.elf)
second_bench=("$IMG"/locus-bench-ast1030-evb-uart*.elf)
shopt -u nullglob
if (( ${#second_fw[@]} != 1 || ${#second_bench[@]} != 1 )); then
  echo "want one locus-fw-ast1030-evb-uart<baud>.elf and one locus-bench-ast1030-evb-uart<baud>.elf in $IMG (rebuild the fw-cortex-m4 tree; remove stale ones)" >&2
  exit 1
fi

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
  run_bench "$board" "$bench" "$board"
  get() { awk -v k="$1" '$2==k{print $3}' "$out"; }
  peak=$(get stack_high_water_bytes)

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

# ast1030-evb: the bench image at the build's second UART rate, for the comparison below.
run_bench ast1030-evb "${second_bench[0]}" ast1030-evb-second

# What a real link adds per timed round (docs/boards.md, "What a real UART adds"): the 13-byte
# fast frame is 2 flags + rev + 2 len + 13 payload + 2 FCS = 20 bytes on the wire each way
# (docs/protocol.md, "Framing"; byte stuffing adds ~0.1 byte on random payloads), 10 bits a
# byte on a UART (8N1), both directions. UART rates: the AST1030's 24 MHz / 13 UART clock
# divided by 16 x divisor.
echo
python3 - <<'PY'
frame = 2 + 1 + 2 + 13 + 2
bits = 2 * frame * 10
c_km_per_s = 299792.458
clk = 24e6 / 13
km = lambda t: c_km_per_s * t / 2  # what a verifier's bound grants (c*RTT/2, docs/location.md)
fibre = lambda t: km(t) * 2 / 3    # the same time spent in fibre (~2/3 c)
print("%-118s %12s %10s %10s" % ("link (one timed round: 20 bytes each way)", "round trip", "c*t/2", "in fibre"))
for name, baud in (("divisor 1 = 115384.6 baud (nominal 115200): the fastest the AST1030 UART allows", clk / 16),
                   ("divisor 6 = 19230.8 baud (nominal 19200)", clk / 16 / 6),
                   ("1.5 Mbaud: divisor 1 on a 24 MHz UART clock (the AST2600's /13 bypass; not in the AST1030 SDK)", 24e6 / 16)):
    t = bits / baud
    print("uart: %-112s %9.1f us %7.1f km %7.1f km" % (name, t * 1e6, km(t), fibre(t)))
# Links without start/stop bits. SPI: the same 20-byte frame, 8 bits a byte. I3C SDR at
# 12.5 MHz (MCTP over I3C, DSP0233): 9 bits a byte (T-bit), 13 payload + 4 MCTP header +
# 1 PEC, an address header each way and an in-band interrupt for the answer. PCIe Gen1 x1
# (MCTP over PCIe VDM, DSP0238): one TLP each way of 2 framing + 2 sequence + 16 header (MCTP
# transport header inside) + 16 payload (1 message type + 13, DW-padded) + 4 LCRC bytes, 10
# bit times a byte at 2.5 GT/s.
for name, t in (("SPI at 50 MHz (20-byte frame each way)", 2 * frame * 8 / 50e6),
                ("I3C SDR at 12.5 MHz (MCTP over I3C)", (2 * (9 + 18 * 9 + 2) + 18) / 12.5e6),
                ("PCIe Gen1 x1 (MCTP over PCIe VDM, one TLP each way)", 2 * (2 + 2 + 16 + 16 + 4) * 10 / 2.5e9)):
    print("link: %-112s %9.2f us %7.2f km %7.2f km" % (name, t * 1e6, km(t), fibre(t)))
PY

# Wall-clock figures through the emulated UART (plain TCG, as the demo and the tests run):
# they depend on the host's load, so the load average is printed with them.
if [[ -n "$HOSTB" ]]; then
  echo
  echo "host build $HOSTB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$HOSTB/bench/qemu_rtt" --board mps2-an386 --image "$IMG/locus-fw-mps2-an386.elf" --sessions 10 --rounds 64
  # ast1030-evb at both UART settings, one board after the other in the same run.
  "$HOSTB/bench/qemu_rtt" --board ast1030-evb --image "$IMG/locus-fw-ast1030-evb.elf" \
    --image "${second_fw[0]}" --sessions 10 --rounds 64 --passes 5 | tee "$WORK/rtt-ast1030.txt"
  for board in mps2-an386 ast1030-evb; do
    "$ROOT/bench/qemu_e2e.sh" "$HOSTB" "$IMG/locus-fw-$board.elf" "$board"
  done
else
  echo "(no host build with bench/qemu_rtt and locus: skipping the UART round trip and agent -> FULL)"
fi

# ast1030-evb, the timed round at both UART settings of this run: instruction counts from the
# two bench images, wall-clock RTT from qemu_rtt (if it ran), and what a real UART at that
# divisor would add on the wire.
echo
WORK="$WORK" python3 - <<'PY'
import os, re
work = os.environ["WORK"]
def counts(tag):
    d = {}
    for line in open(os.path.join(work, tag + ".txt")):
        f = line.split()
        if len(f) == 3:
            d[f[1]] = f[2]
    return d
def uart(tag):
    # The boot line is on the semihosting console (QEMU's stderr here, $WORK/TAG.log).
    lines = []
    for ext in (".log", ".out"):
        lines += open(os.path.join(work, tag + ext), errors="replace").readlines()
    for line in lines:
        m = re.search(r"\[locus\] uart: UART5 (\d+) baud, divisor (\d+) \(read back\)", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise SystemExit("no uart boot line from the bench image " + tag)
rtt = {}
path = os.path.join(work, "rtt-ast1030.txt")
if os.path.exists(path):
    for line in open(path):
        m = re.match(r"\| (\S+) \| UART5 (\d+) baud, divisor (\d+) .*?\| (\d+) \| ([\d.]+) us \(([\d.]+) km\) \| ([\d.]+) us \|", line)
        if m:
            rtt[int(m.group(3))] = (m.group(5), m.group(7))
print("ast1030-evb timed round by UART setting (same run)")
print("| setting (boot line) | divisor | QEMU 16550 baudrate (38400/divisor) | handle instr | wire instr | RTT min (qemu_rtt) | RTT median | a real UART at this divisor adds per round trip |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for tag in ("ast1030-evb", "ast1030-evb-second"):
    baud, div = uart(tag)
    c = counts(tag)
    real = 400 / (24e6 / 13 / 16 / div)
    mn, med = rtt.get(div, ("-", "-"))
    print("| %d baud | %d | %d | %s | %s | %s us | %s us | %.1f us = %.1f km (c) / %.1f km (fibre) |" % (
        baud, div, 38400 // div, c.get("timed_round_handle", "-"), c.get("timed_round_wire", "-"),
        mn, med, real * 1e6, 299792.458 * real / 2, 299792.458 * real / 3))
PY
