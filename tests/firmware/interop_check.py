#!/usr/bin/env python3
"""Independent check (python3-cbor2 + python3-cryptography) of host-sim output.

Usage: interop_check.py DIR   where DIR holds evidence.cose, alias.der, devid.der, root.der,
nonce.bin and fwid.bin written by tests/firmware/test_hostsim.cpp. Exits non-zero on the
first mismatch: COSE_Sign1 shape and ES256 signature, EAT claims, Alias certificate
(issuer, signature by the DeviceID key, TcbInfo with the FWID), DeviceID cert by the root.
"""
import hashlib
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def fail(msg):
    print("interop_check: FAIL: " + msg)
    sys.exit(1)


def main(d):
    read = lambda n: open(f"{d}/{n}", "rb").read()
    cose, alias_der, devid_der, root_der = read("evidence.cose"), read("alias.der"), read("devid.der"), read("root.der")
    nonce, fwid = read("nonce.bin"), read("fwid.bin")

    msg = cbor2.loads(cose)
    if not isinstance(msg, cbor2.CBORTag) or msg.tag != 18:
        fail("not a tagged COSE_Sign1")
    prot, unprot, payload, sig = msg.value
    if cbor2.loads(prot) != {1: -7}:
        fail("protected header is not {1: -7}")
    if unprot.get(33) != alias_der:
        fail("x5chain is not the Alias certificate")
    alias = x509.load_der_x509_certificate(alias_der)
    devid = x509.load_der_x509_certificate(devid_der)
    root = x509.load_der_x509_certificate(root_der)
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    if len(sig) != 64:
        fail("signature is not r||s")
    der_sig = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    alias.public_key().verify(der_sig, tbs, ec.ECDSA(hashes.SHA256()))

    claims = cbor2.loads(payload)
    devid_pub = devid.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    ueid = b"\x01" + hashlib.sha256(devid_pub).digest()
    expect = {10: nonce, 256: ueid, 265: "tag:locus.dev,2026:eat/v1", 270: "locus-fw", -70001: fwid,
              263: 0, -70004: 1, 267: 1, -70007: 1}
    for k, v in expect.items():
        if claims.get(k) != v:
            fail(f"claim {k}: {claims.get(k)!r} != {v!r}")
    if claims.get(259) != b"locus-host-sim":
        fail("hwmodel claim")
    if list(claims.keys()) != [10, 256, 259, 263, 265, 267, 270, -70001, -70002, -70004, -70005,
                               -70006, -70007]:
        fail(f"claim order {list(claims.keys())}")
    if not isinstance(claims.get(-70006), bytes) or len(claims[-70006]) != 32:
        fail("board nonce claim (-70006) is not 32 bytes")
    if cbor2.dumps(claims, canonical=True) != payload:
        fail("claims are not deterministic CBOR")

    if alias.issuer != devid.subject:
        fail(f"Alias issuer {alias.issuer} != DeviceID subject {devid.subject}")
    devid.public_key().verify(alias.signature, alias.tbs_certificate_bytes, ec.ECDSA(alias.signature_hash_algorithm))
    root.public_key().verify(devid.signature, devid.tbs_certificate_bytes, ec.ECDSA(devid.signature_hash_algorithm))
    tcb = alias.extensions.get_extension_for_oid(x509.ObjectIdentifier("2.23.133.5.4.1"))
    if fwid not in tcb.value.value:
        fail("TcbInfo does not carry the FWID")
    if "serialNumber=" + ueid.hex() not in alias.subject.rfc4514_string().replace("2.5.4.5=", "serialNumber="):
        fail(f"Alias subject {alias.subject.rfc4514_string()} lacks the UEID")
    print("interop_check: OK (COSE ES256, EAT claims, Alias cert by DeviceID with TcbInfo, DeviceID by root)")


if __name__ == "__main__":
    main(sys.argv[1])
