#!/usr/bin/python3
"""Independent check of a `locus provision export` directory (docs/audit.md), written with
python3-cbor2 and python3-cryptography only (no locus code):

  for every OUT/bundles/<id>/manifest.json:
    - evidence.cose is a tagged COSE_Sign1 (RFC 9052) whose ES256 signature verifies with the
      key of the first x5chain certificate (RFC 9360, label 33);
    - that Alias certificate is signed by devid-cert.pem, which is signed by OUT/ca.pem;
    - alias-cert.pem is the same certificate;
    - with a TPM quote: TPMT_SIGNATURE (ECDSA P-256, SHA-256) verifies over the TPMS_ATTEST
      with the enrolled AK (tpm-host.ak-key.bin), and extraData =
      SHA-256(nonce || SHA-256(evidence)).
Exit 0 when every bundle passes, 1 with the first problem otherwise.
"""
import hashlib
import json
import os
import struct
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def fail(msg):
    print("check_export: FAIL: " + msg)
    sys.exit(1)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def blob(bdir, node):
    if "hex" in node:
        return bytes.fromhex(node["hex"])
    data = read(os.path.join(bdir, node["file"]))
    if node["format"] == "pem":
        return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return data


def verify_cert(cert, issuer):
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))


def tpm2b(buf, off):
    (n,) = struct.unpack_from(">H", buf, off)
    return buf[off + 2:off + 2 + n], off + 2 + n


def check_bundle(root, bdir, ca):
    m = json.loads(read(os.path.join(bdir, "manifest.json")))
    if m.get("format") != "locus-evidence-bundle/1":
        fail(bdir + ": unexpected format")
    b = m["bundle"]
    ev = blob(bdir, b["evidence"])
    msg = cbor2.loads(ev)
    if not isinstance(msg, cbor2.CBORTag) or msg.tag != 18:
        fail(bdir + ": evidence is not a tagged COSE_Sign1")
    protected, unprotected, payload, sig = msg.value
    if cbor2.loads(protected).get(1) != -7:
        fail(bdir + ": evidence alg is not ES256")
    chain = unprotected.get(33)
    alias_der = chain[0] if isinstance(chain, list) else chain
    alias = x509.load_der_x509_certificate(alias_der)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    try:
        alias.public_key().verify(encode_dss_signature(r, s), to_sign, ec.ECDSA(hashes.SHA256()))
    except Exception:
        fail(bdir + ": evidence signature does not verify with the Alias key")
    devid = x509.load_der_x509_certificate(blob(bdir, b["facts"]["device"]["devid_cert"]))
    try:
        verify_cert(alias, devid)
        verify_cert(devid, ca)
    except Exception:
        fail(bdir + ": certificate chain Alias -> DeviceID -> root does not verify")
    extra = m.get("extras", {}).get("alias_cert")
    if extra:
        pem_alias = x509.load_pem_x509_certificate(read(os.path.join(bdir, extra)))
        if pem_alias != alias:
            fail(bdir + ": alias-cert.pem differs from the evidence's x5chain")
    checked = ["evidence", "chain"]
    q = b.get("tpm_quote")
    host = b["facts"].get("tpm_host")
    if q and "attest" in q and host:
        attest = blob(bdir, q["attest"])
        tsig = blob(bdir, q["signature"])
        alg, halg = struct.unpack_from(">HH", tsig, 0)
        if alg != 0x0018 or halg != 0x000B:
            fail(bdir + ": TPM signature is not ECDSA/SHA-256")
        rr, off = tpm2b(tsig, 4)
        ss, _ = tpm2b(tsig, off)
        ak = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                          blob(bdir, host["ak_key"]))
        try:
            ak.verify(encode_dss_signature(int.from_bytes(rr, "big"), int.from_bytes(ss, "big")),
                      attest, ec.ECDSA(hashes.SHA256()))
        except Exception:
            fail(bdir + ": TPM quote signature does not verify with the enrolled AK")
        (magic, ) = struct.unpack_from(">I", attest, 0)
        if magic != 0xFF544347:
            fail(bdir + ": TPMS_ATTEST magic")
        _, off = tpm2b(attest, 6)  # qualifiedSigner
        extra_data, _ = tpm2b(attest, off)
        nonce = blob(bdir, b["nonce"])
        want = hashlib.sha256(nonce + hashlib.sha256(ev).digest()).digest()
        if extra_data != want:
            fail(bdir + ": TPM extraData is not SHA-256(nonce || SHA-256(evidence))")
        checked.append("tpm")
    return checked


def main():
    if len(sys.argv) != 2:
        print("usage: check_export.py EXPORT_DIR")
        return 2
    root = sys.argv[1]
    ca = x509.load_pem_x509_certificate(read(os.path.join(root, "ca.pem")))
    bundles = os.path.join(root, "bundles")
    ids = sorted(os.listdir(bundles), key=int)
    if not ids:
        fail("no bundles")
    for i in ids:
        checked = check_bundle(root, os.path.join(bundles, i), ca)
        print("check_export: decision %s: %s ok" % (i, ", ".join(checked)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
