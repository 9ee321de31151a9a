#!/usr/bin/env python3
"""Independent check of a locus EAR (draft-ietf-rats-ear JWT, ES256) with PyJWT and
python3-cryptography (Debian python3-jwt, python3-cryptography): no locus code involved.

  ear_check.py PUBKEY.pem TOKEN_FILE EXPECTED_STATUS UEID_HEX

Verifies the signature with the PEM public key, then checks the claims a scheduler relies
on, then that the same token with one payload byte changed and with the signature of another
token no longer verifies. Prints the decoded claims as JSON and exits 0 only if all holds."""
import base64
import json
import sys

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

PROFILE = "tag:github.com,2023:veraison/ear"


def fail(msg):
    print("ear_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    if len(sys.argv) != 5:
        fail("usage: ear_check.py PUBKEY.pem TOKEN_FILE EXPECTED_STATUS UEID_HEX")
    key = load_pem_public_key(open(sys.argv[1], "rb").read())
    token = open(sys.argv[2]).read().strip()
    want_status, want_ueid = sys.argv[3], sys.argv[4].lower()

    header = jwt.get_unverified_header(token)
    if header.get("alg") != "ES256":
        fail("header alg is %r, not ES256" % header.get("alg"))
    try:
        claims = jwt.decode(token, key, algorithms=["ES256"],
                            options={"require": ["iat"], "verify_aud": False})
    except jwt.PyJWTError as e:
        fail("genuine token does not verify: %r" % e)

    if claims.get("eat_profile") != PROFILE:
        fail("eat_profile is %r" % claims.get("eat_profile"))
    if not isinstance(claims.get("iat"), int):
        fail("iat is not an integer")
    vid = claims.get("ear.verifier-id")
    if not isinstance(vid, dict) or "build" not in vid or "developer" not in vid:
        fail("ear.verifier-id must be an object with build and developer")
    sub = claims.get("submods", {}).get("board")
    if not isinstance(sub, dict):
        fail("no submods.board")
    if sub.get("ear.status") != want_status:
        fail("ear.status is %r, expected %r" % (sub.get("ear.status"), want_status))
    tv = sub.get("ear.trustworthiness-vector")
    if not isinstance(tv, dict):
        fail("no ear.trustworthiness-vector")
    for k, v in tv.items():
        if k not in ("instance-identity", "configuration", "executables", "file-system",
                     "hardware", "runtime-opaque", "storage-opaque", "sourced-data"):
            fail("unknown trustworthiness claim %r" % k)
        if not isinstance(v, int) or not -128 <= v <= 127:
            fail("trustworthiness value %r out of range" % v)
    if sub.get("locus.ueid") != want_ueid:
        fail("locus.ueid is %r" % sub.get("locus.ueid"))
    for k in ("locus.site", "locus.zone-verdict", "locus.lease-s"):
        if k not in sub:
            fail("missing " + k)
    if want_status == "affirming":
        if sub["locus.lease-s"] <= 0 or "exp" not in claims:
            fail("an affirming EAR needs a lease and exp")
        if any(v != 2 for v in tv.values()):
            fail("affirming but a tier is not 2: %r" % tv)
    else:
        if sub["locus.lease-s"] != 0 or "exp" in claims:
            fail("a refusal must grant no lease")
        if not sub.get("locus.reason"):
            fail("a refusal must carry locus.reason")

    # Tampering: one character of the payload changed (a claim altered) must not verify.
    h, p, s = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    body["submods"]["board"]["ear.status"] = (
        "contraindicated" if want_status == "affirming" else "affirming")
    forged = h + "." + b64url(json.dumps(body).encode()) + "." + s
    try:
        jwt.decode(forged, key, algorithms=["ES256"])
        fail("a token with an altered ear.status verified")
    except jwt.InvalidSignatureError:
        pass
    # alg confusion: the same bytes declared as HS256 / none are refused by the relying party.
    try:
        jwt.decode(token, key, algorithms=["HS256"])
        fail("token accepted under HS256")
    except jwt.PyJWTError:
        pass
    print(json.dumps(claims, sort_keys=True))


if __name__ == "__main__":
    main()
