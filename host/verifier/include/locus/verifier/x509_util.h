// locus/verifier/x509_util.h: the verifier's view of certificates and CSRs, as HostResult.
// A thin adapter over the one host X.509 layer, locus/crypto/x509_host.h (locus_x509_host);
// kept so that callers (verifier, provisioning, tests) keep their names. Used by the verifier
// (chain checks) and provisioning (CSR checks, CA). Only ECDSA P-256 with SHA-256 is
// accepted: anything else is refused. Inputs are DER of at most 4096 bytes.
#pragma once

#include <string>

#include "locus/common/common.h"
#include "locus/common/keys.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"

namespace locus::verifier {

using host::Bytes;
using host::HostResult;
using host::HStatus;

struct CertInfo {
  Bytes der;
  crypto::P256PublicKey pub;
  Bytes subject_raw;    // DER Name
  Bytes issuer_raw;     // DER Name
  std::string subject;  // RFC 4514-ish text (crypto::Certificate::subject)
  std::string serial_hex;
  bool is_ca = false;
  Bytes tbs;                  // signed part
  crypto::P256Signature sig;  // raw r||s of the issuer's signature
};

struct CsrInfo {
  crypto::P256PublicKey pub;
  std::string subject;
  bool signature_ok = false;  // the CSR's self-signature verified with its own key
};

HostResult<CertInfo> parse_cert(ByteSpan der);
// Verifies that `child` is signed by `issuer_pub` and names `issuer_subject_raw` as issuer.
HStatus verify_signed_by(const CertInfo& child, const crypto::P256PublicKey& issuer_pub,
                         const Bytes& issuer_subject_raw);
HostResult<CsrInfo> parse_csr(ByteSpan der);

// UEID = 0x01 || SHA-256(SEC1 public key).
HostResult<Bytes> ueid_of(const crypto::P256PublicKey& pub);

// Key files (PEM SEC1 private, SubjectPublicKeyInfo public): locus/common/keys.h.
using host::private_key_from_pem;
using host::private_key_to_pem;
using host::public_key_from_pem;
using host::public_key_to_pem;

}  // namespace locus::verifier
