// locus/certs/certs.h: locus's certificates and CSRs as the host tools see them, as HostResult:
// the fields the verifier (chain checks) and provisioning (CSR checks, the CA) use, over the
// host X.509 layer, locus/crypto/x509_host.h (locus_x509_host). Only ECDSA P-256 with SHA-256 is
// accepted: anything else is refused. Inputs are DER of at most 4096 bytes.
#pragma once

#include <string>

#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"

namespace locus::certs {

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

}  // namespace locus::certs
