#!/usr/bin/python3
"""Independent check of the docs/protocol.md examples with python3-cbor2 and
python3-cryptography (no locus code): frames (stuffing, FCS-16/X.25, length), deterministic
CBOR of every message and payload, COSE_Sign1 ES256 signatures of the rotation and license
(by the verifier key the INSTALL_VERIFIER_KEY example installs) and of the landmark record
(kid), the UEID derivation, the transcript hash, and every dbound answer recomputed from K.

Usage: check_doc_examples.py [protocol.md]   (default: $LOCUS_SOURCE_DIR/docs/protocol.md)
"""
import hashlib
import os
import re
import sys

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand


def load(path):
    text = open(path, encoding="utf-8").read()
    pat = re.compile(r"<!-- example: (\w+) -->\n```\n(.*?)```", re.S)
    return {m.group(1): bytes.fromhex(" ".join(m.group(2).split())) for m in pat.finditer(text)}


def fcs16(data):
    f = 0xFFFF
    for b in data:
        f ^= b
        for _ in range(8):
            f = (f >> 1) ^ 0x8408 if f & 1 else f >> 1
    return f ^ 0xFFFF


def deframe(frame):
    assert frame[0] == 0x7E and frame[-1] == 0x7E
    inner = frame[1:-1]
    assert 0x7E not in inner, "unstuffed flag"
    out, i = bytearray(), 0
    while i < len(inner):
        if inner[i] == 0x7D:
            assert inner[i + 1] in (0x5E, 0x5D)
            out.append(inner[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(inner[i])
            i += 1
    body, fcs = bytes(out[:-2]), out[-2] | out[-1] << 8
    assert fcs16(body) == fcs, "FCS"
    assert int.from_bytes(body[1:3], "big") == len(body) - 3, "len"
    return body[0], body[3:]


def canonical(b):
    obj = cbor2.loads(b)
    assert cbor2.dumps(obj, canonical=True) == b, "not deterministic CBOR"
    return obj


def verify(cose, pub):
    tag = cbor2.loads(cose)
    assert tag.tag == 18
    prot, unprot, payload, sig = tag.value
    assert cbor2.loads(prot) == {1: -7}
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, tbs, ec.ECDSA(hashes.SHA256()))
    return canonical(payload), unprot


def point(b):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ["LOCUS_SOURCE_DIR"], "docs/protocol.md")
    ex = load(path)
    assert len(ex) >= 30, "examples missing"
    for name, b in ex.items():
        if name.startswith("frame_"):
            rev, payload = deframe(b)
            if rev == 1:
                canonical(payload)
            else:
                assert rev == 2 and len(payload) == 13 and payload[0] < 64
        elif name.endswith("_request") or name.endswith("_response"):
            msg = canonical(b)
            assert isinstance(msg, list) and len(msg) == 3
            if name.endswith("_response"):
                assert msg[0] & 0x80
            else:
                assert 1 <= msg[0] <= 10
        elif name != "dbound_session_key":
            canonical(b)

    verifier = point(cbor2.loads(ex["install_verifier_key_request"])[2])
    rot, _ = verify(cbor2.loads(ex["rotate_verifier_key_request"])[2], verifier)
    assert rot[2] == 1 and len(rot[1]) == 65
    lic, _ = verify(cbor2.loads(ex["apply_license_request"])[2], verifier)
    assert lic[4] == 2 and 1 <= lic[5] <= 86400
    assert list(lic) == [1, 2, 3, 4, 5, 6, 7, 8] and len(lic[8]) == 32, "license board nonce"

    ident = cbor2.loads(ex["get_identity_response"])[2]
    assert ident[1] == b"\x01" + hashlib.sha256(ident[2]).digest(), "UEID"
    claims = canonical(ex["eat_claims"])
    assert claims[265] == "tag:locus.dev,2026:eat/v1" and claims[256] == ident[1]
    # RFC 9711: bootcount 267, swname 270; -70003 retired; board nonce and storage private.
    assert list(claims) == [10, 256, 259, 263, 265, 267, 270, -70001, -70002, -70004, -70005,
                            -70006, -70007]
    assert claims[270] == "locus-fw" and claims[-70007] in (1, 2, 3)
    assert lic[8] == claims[-70006], "the license echoes the evidence's board nonce"
    ev = cbor2.loads(cbor2.loads(ex["get_evidence_response"])[2])
    assert cbor2.loads(ev.value[2]) == claims

    close = cbor2.loads(ex["lm_close_response"])[2]
    transcript = canonical(ex["transcript_payload"])
    assert cbor2.loads(cbor2.loads(close).value[2]) == transcript
    record = canonical(ex["landmark_record_payload"])
    assert record[6] == hashlib.sha256(close).digest(), "transcript hash"
    signed = cbor2.loads(ex["landmark_record"])
    assert signed.value[1][4] == record[1].encode()
    assert cbor2.loads(signed.value[2]) == record

    k = ex["dbound_session_key"]
    rounds = len(transcript[7])
    mat = HKDFExpand(hashes.SHA256(), 24 * 16 * 12 + rounds * 12, b"locus/dbound/table").derive(k)
    for i, (idx, c, a) in enumerate(transcript[7]):
        assert idx == i
        acc = bytearray(mat[24 * 16 * 12 + i * 12: 24 * 16 * 12 + (i + 1) * 12])
        for j in range(24):
            nib = (c[j // 2] >> (4 * (1 - j % 2))) & 0xF
            off = (j * 16 + nib) * 12
            acc = bytearray(x ^ y for x, y in zip(acc, mat[off: off + 12]))
        assert bytes(acc) == a, "dbound answer %d" % i
    assert cbor2.loads(ex["lm_round_response"])[2] == transcript[7][0][2]
    _, fast = deframe(ex["frame_fast_round_response"])
    assert fast[1:] == transcript[7][1][2]
    print("all %d examples check out" % len(ex))
    return 0


if __name__ == "__main__":
    sys.exit(main())
