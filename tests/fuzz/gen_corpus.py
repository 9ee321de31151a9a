#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: corpus/cbor/ and corpus/cose/.

A handful of small files per target: valid items covering every supported type, a few
invalid ones near the edges, and COSE_Sign1 messages (the RFC 9052 C.2.1 example, its
untagged form, and messages signed here with cryptography carrying kid and x5chain).
Run with the Debian python3 (python3-cbor2, python3-cryptography):
    /usr/bin/python3 tests/fuzz/gen_corpus.py
The output is committed; regenerating changes the python-signed seeds (ECDSA is randomised).
"""
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))

CBOR_SEEDS = {
    "uint_all_heads": "8500181819010019ffff1b0000000100000000",
    "negatives": "84203863 3b7fffffffffffffff 3bffffffffffffffff",
    "strings": "8440 4401020304 60 6449455446 64f0908591",
    "nested": "8301820203820405",
    "map_text_keys": "a26161016162820203",
    "map_int_keys": "a3 01 f4 18 2a f5 20 f6",
    "tags": "83 c074323031332d30332d32315432303a30343a30305a d818456449455446 c249010000000000000000",
    "array25": "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
    "deep": "81818181818181818100",
    "bad_indefinite": "9f01820203820405ff",
    "bad_noncanonical": "821805a0",
    "bad_unsorted": "a2020001 00",
    "bad_float": "f93c00",
}

C21 = ("d28443a10126a10442313154546869732069732074686520636f6e74656e742e5840"
       "8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e"
       "2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36")


def sign1(key, unprotected, payload, tag=True):
    prot = bytes.fromhex("a10126")
    tbs = cbor2.dumps(["Signature1", prot, b"", payload], canonical=True)
    r, s = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    body = [prot, unprotected, payload, r.to_bytes(32, "big") + s.to_bytes(32, "big")]
    return cbor2.dumps(cbor2.CBORTag(18, body) if tag else body, canonical=True)


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    cdir = os.path.join(HERE, "corpus", "cbor")
    for name, h in CBOR_SEEDS.items():
        write(cdir, name, bytes.fromhex(h.replace(" ", "")))
    k = ec.derive_private_key(0x1D0C05, ec.SECP256R1())
    odir = os.path.join(HERE, "corpus", "cose")
    write(odir, "rfc9052_c21", bytes.fromhex(C21))
    write(odir, "rfc9052_c21_untagged", bytes.fromhex(C21)[1:])
    write(odir, "kid_x5chain2", sign1(k, {4: b"k1", 33: [b"leaf-cert", b"ca-cert"]}, b"evidence"))
    write(odir, "x5chain1", sign1(k, {33: b"leaf-cert"}, b"evidence"))
    write(odir, "no_headers_empty_payload", sign1(k, {}, b""))
    write(odir, "alg_unprotected", cbor2.dumps(cbor2.CBORTag(18, [b"", {1: -7}, b"p", bytes(64)]), canonical=True))


if __name__ == "__main__":
    main()
