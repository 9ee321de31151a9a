#!/usr/bin/env python3
"""Which tables and indexes a SQLite registry's commits write: reads copies of its WAL.

  scripts/wal_pages.py DB WAL_COPY [WAL_COPY ...]

Take the copies while the verifier runs (e.g. `cp locus.db-wal /tmp/w1.wal` a few times,
0.7 s apart, during `bench/verifier_load --only 3+TPM`), then copy DB and DB-wal once more
so that the page map includes the newest pages. Every valid frame of each copy (the salts
of the WAL header; frames of committed transactions only) is mapped to the b-tree its page
belongs to through SQLite's dbstat table, and the shares of all frames are printed, with
frames per commit. docs/verifier-server.md "Fewer pages per decision" was measured so.
"""
import collections
import sqlite3
import struct
import sys


def page_names(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return {int(p): n for p, n in con.execute("SELECT pageno, name FROM dbstat")}
        finally:
            con.close()
    except sqlite3.Error as e:
        raise ValueError(f"{db}: {e}") from e


def committed_frames(path):
    """The page numbers of each committed transaction in a WAL file, in order."""
    w = open(path, "rb").read()
    if len(w) < 32:
        raise ValueError(f"{path}: not a WAL file (shorter than its header)")
    magic, _ver, psz, _ck, s1, s2, _c1, _c2 = struct.unpack(">8I", w[:32])
    if magic not in (0x377F0682, 0x377F0683):
        raise ValueError(f"{path}: not a WAL file (magic {magic:#x})")
    off, cur, out = 32, [], []
    while off + 24 + psz <= len(w):
        pg, commit, fs1, fs2 = struct.unpack(">4I", w[off:off + 16])
        if (fs1, fs2) != (s1, s2):
            break  # a frame of an earlier generation of the file
        cur.append(pg)
        off += 24 + psz
        if commit:
            out.append(cur)
            cur = []
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        names = page_names(argv[1])
        total = collections.Counter()
        frames = commits = 0
        for path in argv[2:]:
            for c in committed_frames(path):
                commits += 1
                for pg in c:
                    total[names.get(pg, "(page not in the database copy)")] += 1
                    frames += 1
    except (OSError, ValueError, sqlite3.Error) as e:
        print(f"wal_pages: {e}", file=sys.stderr)
        return 2
    if frames == 0:
        print("no committed frames in the copies", file=sys.stderr)
        return 1
    print(f"{frames} frames in {commits} commits ({frames / commits:.1f} per commit)")
    for name, n in total.most_common():
        print(f"{100.0 * n / frames:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
