#!/usr/bin/env python3
"""COSE_Sign1 ES256 interop between locus and an independent stack (cbor2 + cryptography).

(a) locus -> python: cose_interop_tool writes a COSE_Sign1; this script parses it with cbor2,
    checks the encoding is deterministic (re-encoding canonically gives the same bytes), the
    structure (tag 18, protected {1: -7}, kid, x5chain array), rebuilds the Sig_structure
    itself and verifies the r||s signature with cryptography; a tampered payload must fail.
(b) python -> locus: this script signs COSE_Sign1 messages with cryptography (fresh key) and
    the tool must accept them; tampered, wrong-aad, wrong-key, untagged and alg-in-unprotected
    variants must be rejected with the specific error.
Usage: cose_interop.py PATH_TO_cose_interop_tool
"""
import os
import subprocess
import sys
import tempfile

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

TOOL = sys.argv[1]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def sig_structure(protected, aad, payload):
    return cbor2.dumps(["Signature1", protected, aad, payload], canonical=True)


def run_tool(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


def part_a(tmp):
    rc, out = run_tool("write", tmp)
    check(rc == 0, f"tool write ({out})")
    if rc != 0:
        return
    data = open(os.path.join(tmp, "ours.cose"), "rb").read()
    pub_bytes = open(os.path.join(tmp, "ours.pub"), "rb").read()
    payload = open(os.path.join(tmp, "ours.payload"), "rb").read()
    aad = open(os.path.join(tmp, "ours.aad"), "rb").read()

    obj = cbor2.loads(data)
    check(isinstance(obj, cbor2.CBORTag) and obj.tag == 18, "tag 18")
    check(cbor2.dumps(obj, canonical=True) == data, "deterministic encoding (canonical re-encode is identical)")
    protected, unprotected, pl, sig = obj.value
    check(protected == bytes.fromhex("a10126"), "protected header is bstr .cbor {1: -7}")
    check(cbor2.loads(protected) == {1: -7}, "protected decodes to {1: -7}")
    check(1 not in unprotected, "no alg in unprotected")
    check(unprotected.get(4) == b"alias-key-1", "kid")
    x5 = unprotected.get(33)
    check(isinstance(x5, list) and len(x5) == 2 and all(isinstance(c, bytes) for c in x5), "x5chain array of 2 bstr")
    check(pl == payload, "payload")
    check(isinstance(sig, bytes) and len(sig) == 64, "signature is 64-byte r||s")

    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub_bytes)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, sig_structure(protected, aad, pl), ec.ECDSA(hashes.SHA256()))
        check(True, "cryptography verifies locus signature")
    except InvalidSignature:
        check(False, "cryptography verifies locus signature")
    try:
        pub.verify(der, sig_structure(protected, aad, pl + b"!"), ec.ECDSA(hashes.SHA256()))
        check(False, "tampered payload rejected by cryptography")
    except InvalidSignature:
        check(True, "tampered payload rejected by cryptography")
    # Our verifier agrees on its own output.
    rc, out = run_tool("verify", os.path.join(tmp, "ours.cose"), os.path.join(tmp, "ours.pub"), os.path.join(tmp, "ours.aad"))
    check(rc == 0, f"locus verifies its own message ({out})")


def sign_py(key, protected, unprotected, payload, aad, tag=18):
    der = key.sign(sig_structure(protected, aad, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    body = [protected, unprotected, payload, sig]
    return cbor2.dumps(cbor2.CBORTag(tag, body) if tag is not None else body, canonical=True)


def part_b(tmp):
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    prot = cbor2.dumps({1: -7}, canonical=True)
    payload = os.urandom(300)
    aad = b"verifier nonce 0123456789abcdef"
    paths = {}

    def put(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        paths[name] = p
        return p

    put("py.pub", pub)
    put("other.pub", other)
    put("py.aad", aad)
    put("wrong.aad", aad + b"x")
    put("empty.aad", b"")

    cases = [
        # name, message, pub, aad, extra args, expected output (None = OK)
        ("kid + x5chain", sign_py(key, prot, {4: b"py", 33: [b"cert-a", b"cert-b"]}, payload, aad), "py.pub", "py.aad", [], None),
        ("single cert x5chain, empty aad", sign_py(key, prot, {33: b"only-cert"}, payload, b""), "py.pub", "empty.aad", [], None),
        ("no unprotected headers", sign_py(key, prot, {}, payload, aad), "py.pub", "py.aad", [], None),
        ("untagged, tag not required", sign_py(key, prot, {}, payload, aad, tag=None), "py.pub", "py.aad", ["untagged"], None),
        ("untagged, tag required", sign_py(key, prot, {}, payload, aad, tag=None), "py.pub", "py.aad", [], "COSE_Sign1 tag 18 missing"),
        ("wrong aad", sign_py(key, prot, {}, payload, aad), "py.pub", "wrong.aad", [], "COSE signature does not verify"),
        ("wrong key", sign_py(key, prot, {}, payload, aad), "other.pub", "py.aad", [], "COSE signature does not verify"),
        ("alg in unprotected", sign_py(key, b"", {1: -7}, payload, aad), "py.pub", "py.aad", [], "COSE alg in the unprotected header"),
        ("alg ES384", sign_py(key, cbor2.dumps({1: -35}), {}, payload, aad), "py.pub", "py.aad", [], "COSE alg missing or not ES256"),
        ("too many certs", sign_py(key, prot, {33: [b"c"] * 5}, payload, aad), "py.pub", "py.aad", [], "COSE x5chain longer than supported"),
    ]
    good = sign_py(key, prot, {}, payload, aad)
    tampered = bytearray(good)
    tampered[-70] ^= 0x01  # inside the payload
    cases.append(("tampered payload", bytes(tampered), "py.pub", "py.aad", [], "COSE signature does not verify"))
    for i, (name, msg, pubname, aadname, extra, want) in enumerate(cases):
        f = put(f"case{i}.cose", msg)
        rc, out = run_tool("verify", f, paths[pubname], paths[aadname], *extra)
        if want is None:
            check(rc == 0 and out.startswith("OK"), f"locus accepts python message: {name} ({out})")
        else:
            check(rc == 1 and out == want, f"locus rejects python message: {name} ({out})")


def main():
    with tempfile.TemporaryDirectory(prefix="locus-cose-interop-") as tmp:
        part_a(tmp)
        part_b(tmp)
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        return 1
    print("all interop checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
