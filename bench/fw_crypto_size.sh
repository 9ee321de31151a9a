#!/bin/sh
# Prints what locus's crypto costs in a Cortex-M4 image: arm-none-eabi-size of
# bench/fw_crypto_size.elf (text/data/bss) and the bytes each object file (archive member)
# contributes after --gc-sections, largest first, from the linker map.
#
# usage: bench/fw_crypto_size.sh [firmware build dir]   (default: build/fw-cortex-m4)
# With targets fw_crypto_size_core and fw_crypto_size_psa built, also compares legacy and PSA.
# The build dir must be a firmware (arm-none-eabi) build with target fw_crypto_size built:
#   cmake --build <dir> --target fw_crypto_size
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/fw-cortex-m4}
elf=$build/bench/fw_crypto_size.elf
map=$build/bench/fw_crypto_size.map
if [ ! -f "$elf" ] || [ ! -f "$map" ]; then
  echo "error: $elf or its map not found; build target fw_crypto_size in a firmware build" >&2
  exit 1
fi
echo "== arm-none-eabi-size $elf"
arm-none-eabi-size "$elf"
echo
echo "== bytes per object after --gc-sections (text+rodata / data / bss), largest first"
python3 - "$map" <<'PY'
import re, sys, collections
lines = open(sys.argv[1], errors="replace").read().splitlines()
try:
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
except StopIteration:
    sys.exit("map file has no memory map section")
sizes = collections.defaultdict(lambda: [0, 0, 0])  # flash-only, data (flash+RAM), bss (RAM)
kind = None
pending = None  # an input section whose name was on its own line
row = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$")
for l in lines[start:]:
    m = re.match(r"^ (\.[\w.$]+)\s*$", l)
    if m:
        pending = m.group(1)
        continue
    m = re.match(r"^ (\.[\w.$]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$", l)
    if m:
        sec, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
    else:
        m = row.match(l)
        if not (m and pending):
            pending = None
            continue
        sec, size, obj = pending, int(m.group(2), 16), m.group(3)
    pending = None
    if size == 0 or sec.startswith((".debug", ".comment", ".ARM.attributes")):
        continue
    obj = re.sub(r"^.*/", "", obj)
    if sec.startswith((".bss", "COMMON")):
        sizes[obj][2] += size
    elif sec.startswith(".data"):
        sizes[obj][1] += size
    elif sec.startswith((".text", ".rodata", ".isr_vector", ".ARM.exidx", ".init_array")):
        sizes[obj][0] += size
total = [sum(v[i] for v in sizes.values()) for i in range(3)]
print(f"{'flash':>8} {'data':>6} {'bss':>7}  object")
for obj, (t, d, b) in sorted(sizes.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
    print(f"{t:8d} {d:6d} {b:7d}  {obj}")
print(f"{total[0]:8d} {total[1]:6d} {total[2]:7d}  total")
groups = collections.defaultdict(int)
for obj, (t, d, b) in sizes.items():
    g = obj.split("(")[0] if "(" in obj else "other"
    groups[g] += t + d
print()
print("== flash (text+rodata+data) per archive")
for g, n in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f"{n:8d}  {g}")
PY

# PSA vs legacy comparison, when built (targets fw_crypto_size_core fw_crypto_size_psa).
core=$build/bench/fw_crypto_size_core.elf
psa=$build/bench/fw_crypto_size_psa.elf
if [ -f "$core" ] && [ -f "$psa" ]; then
  echo
  echo "== same core operations: legacy API (locus wrappers) vs PSA Crypto"
  arm-none-eabi-size "$core" "$psa"
fi
