#!/usr/bin/env python3
"""The .editorconfig rules, checked on every text file git tracks: UTF-8, LF line ends, a final
newline, no trailing whitespace, spaces (not tabs) for indentation except in Makefiles.
Binary files are skipped (git decides what is text: `git grep -I`), and so are data files whose
bytes are the point: fuzz corpora and regression inputs, test fixtures.
Usage: scripts/check_editorconfig.py [--fix]   exit 1 if a file breaks a rule."""
import subprocess
import sys

fix = "--fix" in sys.argv[1:]
text = subprocess.run(["git", "grep", "-I", "-l", "-e", ""], capture_output=True, text=True,
                      check=False).stdout.split()
DATA = ("tests/fuzz/corpus/", "tests/fuzz/regressions/", "tests/fuzz/dicts/", "/fixtures/")
text = [p for p in text if not any(d in "/" + p for d in DATA)]
bad = []
for path in text:
    raw = open(path, "rb").read()
    problems = []
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        bad.append((path, ["not UTF-8"]))
        continue
    if "\r\n" in s:
        problems.append("CRLF line ends")
    if s and not s.endswith("\n"):
        problems.append("no final newline")
    lines = s.split("\n")
    trailing = [i + 1 for i, l in enumerate(lines) if l.rstrip(" \t\r") != l.rstrip("\r")]
    if trailing:
        problems.append(f"trailing whitespace on line {trailing[0]}" +
                        (f" and {len(trailing) - 1} more" if len(trailing) > 1 else ""))
    make = path.endswith("Makefile") or path.endswith(".mk")
    tabs = [i + 1 for i, l in enumerate(lines) if l.startswith("\t") and not make]
    if tabs and not path.endswith((".tsv", ".dict")):
        problems.append(f"tab indentation on line {tabs[0]}")
    if problems:
        bad.append((path, problems))
        if fix:
            s = s.replace("\r\n", "\n")
            s = "\n".join(l.rstrip(" \t") for l in s.split("\n"))
            if s and not s.endswith("\n"):
                s += "\n"
            open(path, "w", encoding="utf-8").write(s)
for path, problems in bad:
    print(f"  {path}: {'; '.join(problems)}", file=sys.stderr)
if bad and not fix:
    print(f"check-editorconfig: {len(bad)} of {len(text)} text files break .editorconfig", file=sys.stderr)
    sys.exit(1)
print(f"check-editorconfig: {len(text)} text files follow .editorconfig" + (" (fixed)" if bad else ""))
