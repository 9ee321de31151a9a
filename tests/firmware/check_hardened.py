#!/usr/bin/env python3
"""Checks the BUILT Cortex-M images, not the source: the hardened license decision of
firmware/src/core_license.cpp must survive the optimiser (DESIGN §5, CONVENTIONS "check the
built image").

For Core::do_license in each image given on the command line (arm-none-eabi-objdump):
  1. both hardened words are in the function's literal pool: kTrue 0xC35A69A5 and
     kFalse 0x3CA5965A (a folded decision needs neither);
  2. at least two comparisons against a register that holds kTrue (the first check before
     the counter is journaled, and the second check after it);
  3. the call to Core::set_mode (the grant) comes after the last of those comparisons, so
     the grant hangs on the second check, not on one early branch.
Exit 0 when every image passes; otherwise prints what is missing and exits 1.

usage: check_hardened.py [--objdump PATH] IMAGE.elf [IMAGE.elf ...]
"""
import re
import subprocess
import sys

K_TRUE = 0xC35A69A5
K_FALSE = 0x3CA5965A


def disassemble(objdump, elf):
    out = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", elf], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"^[0-9a-f]+ <locus::firmware::Core::do_license\(.*>:$", out, re.M)
    if m is None:
        return None
    start = m.end() + 1
    end = out.find("\n\n", start)
    return out[start:end if end >= 0 else len(out)].splitlines()


def check(objdump, elf):
    lines = disassemble(objdump, elf)
    if lines is None:
        return ["Core::do_license not found"]
    words = {}
    insns = []
    for ln in lines:
        m = re.match(r"\s*([0-9a-f]+):\s+\.word\s+0x([0-9a-f]+)", ln)
        if m:
            words[int(m.group(1), 16)] = int(m.group(2), 16)
            continue
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", ln)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    errors = []
    if K_TRUE not in words.values():
        errors.append("kTrue (0xC35A69A5) is not in do_license's literal pool")
    if K_FALSE not in words.values():
        errors.append("kFalse (0x3CA5965A) is not in do_license's literal pool")
    # Registers holding kTrue: loaded from its literal, or copied from such a register.
    holders = set()
    compares = []
    grant = None
    for addr, op, args in insns:
        regs = [r.strip() for r in args.split("@")[0].split(",")]
        lit = re.search(r"@\s*([0-9a-f]+)\s*<", args)
        if op.startswith("ldr") and lit and words.get(int(lit.group(1), 16)) == K_TRUE:
            holders.add(regs[0])
            continue
        if op.startswith("mov") and len(regs) == 2:
            if regs[1] in holders:
                holders.add(regs[0])
            elif not op.startswith("moveq") and regs[0] in holders:
                holders.discard(regs[0])
            continue
        if op.startswith("cmp") and any(r in holders for r in regs):
            compares.append(addr)
        if op == "bl" and "Core::set_mode" in args:
            grant = addr
    if len(compares) < 2:
        errors.append(f"{len(compares)} comparison(s) against kTrue, want >= 2 (double check)")
    if grant is None:
        errors.append("no call to Core::set_mode in do_license")
    elif compares and grant < max(compares):
        errors.append("set_mode is called before the last hardened comparison")
    return errors


def main(argv):
    objdump = "arm-none-eabi-objdump"
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--objdump":
        objdump, args = args[1], args[2:]
    if not args:
        print(__doc__)
        return 2
    failed = 0
    for elf in args:
        errors = check(objdump, elf)
        if errors:
            failed += 1
            for e in errors:
                print(f"{elf}: {e}")
        else:
            print(f"{elf}: hardened license decision present (constants, double check, grant last)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
