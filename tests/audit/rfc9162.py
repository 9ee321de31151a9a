#!/usr/bin/python3
"""An independent RFC 9162 (§2.1) Merkle tree for tests of the locus audit log, written from
the RFC's definitions with hashlib and python3-cryptography only (no locus code).

  rfc9162.py proofs LOG            JSON: roots for n = 0..N, every inclusion path, every
                                   consistency proof (m = 1..n)
  rfc9162.py consistency LOG M N   a consistency proof computed from LOG, in locus's format
  rfc9162.py check-head HEAD PUB   the signed tree head's ES256 signature (exit 0 / 1)
  rfc9162.py check-inclusion PROOF HEAD   the proof leads to the head's root (exit 0 / 1)
Leaves are the log's lines without the newline.
"""
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def h(b):
    return hashlib.sha256(b).digest()


def leaf(d):
    return h(b"\x00" + d)


def node(a, b):
    return h(b"\x01" + a + b)


def k_of(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return h(b"")
    if len(d) == 1:
        return leaf(d[0])
    k = k_of(len(d))
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    if len(d) <= 1:
        return []
    k = k_of(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    return subproof(m, d, True)


def read_log(p):
    with open(p, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n") if data else []


def check_inclusion_rfc(index, size, leaf_hash, audit_path, root):
    # RFC 9162 §2.1.3.2, literally.
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in audit_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def main():
    cmd = sys.argv[1]
    if cmd == "proofs":
        d = read_log(sys.argv[2])
        out = {"roots": [mth(d[:n]).hex() for n in range(len(d) + 1)], "inclusion": {},
               "consistency": {}}
        for n in range(1, len(d) + 1):
            out["inclusion"][str(n)] = [[x.hex() for x in path(i, d[:n])] for i in range(n)]
            out["consistency"][str(n)] = [[x.hex() for x in proof(m, d[:n])]
                                          for m in range(1, n + 1)]
        print(json.dumps(out))
        return 0
    if cmd == "consistency":
        d = read_log(sys.argv[2])
        m, n = int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps({"old_size": m, "new_size": n, "old_root": mth(d[:m]).hex(),
                          "new_root": mth(d[:n]).hex(),
                          "proof": [x.hex() for x in proof(m, d[:n])]}))
        return 0
    if cmd == "check-head":
        with open(sys.argv[2]) as f:
            head = json.load(f)
        with open(sys.argv[3], "rb") as f:
            pub = serialization.load_pem_public_key(f.read())
        tbs = (b"locus-audit-sth-v1" + struct.pack(">QQ", head["tree_size"], head["timestamp_ms"])
               + bytes.fromhex(head["root_hash"]))
        sig = bytes.fromhex(head["signature"])
        try:
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                            int.from_bytes(sig[32:], "big")),
                       tbs, ec.ECDSA(hashes.SHA256()))
        except Exception:
            print("rfc9162: head signature does not verify")
            return 1
        return 0
    if cmd == "check-inclusion":
        with open(sys.argv[2]) as f:
            p = json.load(f)
        with open(sys.argv[3]) as f:
            head = json.load(f)
        ok = check_inclusion_rfc(p["leaf_index"], head["tree_size"], leaf(p["leaf"].encode()),
                                 [bytes.fromhex(x) for x in p["audit_path"]],
                                 bytes.fromhex(head["root_hash"]))
        print("rfc9162: inclusion " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
