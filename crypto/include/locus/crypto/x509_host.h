// locus/crypto/x509_host.h: certificate and CSR parsing and chain verification (host only).
//
// The X.509 layer of the host for locus's own (P-256) certificates: the verifier, provisioning,
// the landmark and the host agent parse through it (locus/certs/certs.h is a thin adapter to
// the host result type). The one exception is the TPM manufacturer's RSA EK certificates,
// whose chains host/tpm_verify (locus/tpm/enroll.h) checks with mbed TLS's X.509 directly:
// this layer verifies P-256 signatures only. Uses the heap and the C++ library; its own
// library, locus_x509_host (crypto/x509_host/), never linked into the firmware. Parsing is
// mbed TLS's (public API only); signatures over certificates and CSRs are checked with
// locus/crypto/p256.h, i.e. the image's backend. Inputs may be DER or PEM (detected by a
// leading "-----BEGIN").
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "locus/crypto/x509.h"

namespace locus::crypto {

using Bytes = std::vector<uint8_t>;

// PEM armour <-> DER. label is e.g. "CERTIFICATE" or "CERTIFICATE REQUEST"; pem_to_der reads
// the first block with that label. Errors: X509Error::kMalformed.
Status pem_to_der(const std::string& pem, const char* label, Bytes* der);
Status der_to_pem(ByteSpan der, const char* label, std::string* pem);
// DER as is, or the first PEM block with `label`.
Status to_der(ByteSpan der_or_pem, const char* label, Bytes* der);

// One parsed X.509 certificate.
class Certificate {
 public:
  Certificate();
  ~Certificate();
  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // Parses exactly one certificate (DER, or the first PEM CERTIFICATE block).
  Status parse(ByteSpan der_or_pem);
  bool loaded() const;
  ByteSpan der() const;                         // the certificate's DER bytes
  Status public_key(P256PublicKey* out) const;  // kWrongKeyType unless EC P-256
  std::string subject() const;                  // e.g. "CN=locus Alias, O=locus"
  std::string issuer() const;
  Bytes serial() const;                 // big-endian bytes as encoded
  Bytes subject_key_id() const;         // empty if the extension is absent
  bool is_ca() const;                   // basicConstraints cA = TRUE
  Status tcb_info(TcbInfo* out) const;  // x509_read_tcb_info on der()
  ByteSpan subject_raw() const;         // the subject Name as DER
  ByteSpan issuer_raw() const;          // the issuer Name as DER
  ByteSpan tbs() const;                 // the signed part (TBSCertificate)
  // The issuer's signature as raw r || s: kWrongSignatureAlgorithm unless ecdsa-with-SHA256,
  // kMalformed if it is not a strict-DER ECDSA-Sig-Value filling the BIT STRING.
  Status signature(P256Signature* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class ChainProfile : uint8_t {
  // locus chains (root CA -> DeviceID -> Alias): EC P-256 keys and ECDSA with SHA-256 only.
  kLocusP256 = 1,
  // TPM endorsement-key chains: additionally RSA keys of >= 2048 bits, P-384 keys, and
  // SHA-256/384/512 signatures (RSA PKCS#1 v1.5 or PSS, ECDSA).
  kTpmEk = 2,
};

// Verifies chain[0] (leaf) up through chain[1..] (intermediates, any order) to one of
// trusted_roots, with mbed TLS's path validation (signatures, basicConstraints/pathLen,
// keyUsage, validity periods against the host clock, the profile's algorithms). Every
// element may be DER or PEM. OK only if the chain is valid; otherwise kChainInvalid (or
// kMalformed for unparsable input) and, if flags_out is given, mbed TLS's
// MBEDTLS_X509_BADCERT_* bits.
Status x509_verify_chain(const std::vector<Bytes>& chain, const std::vector<Bytes>& trusted_roots,
                         ChainProfile profile, uint32_t* flags_out = nullptr);

// Checks one link without path validation (no validity period, no extensions): `child`
// names `issuer_subject_raw` as its issuer (kIssuerMismatch; compared in constant time) and
// carries an ecdsa-with-SHA256 signature over its TBS that verifies with issuer_pub
// (kBadCertSignature; signature() errors as they are). For chains whose every element the
// caller already holds (the verifier: root -> registered DeviceID -> Alias).
Status x509_verify_signed_by(const Certificate& child, const P256PublicKey& issuer_pub,
                             ByteSpan issuer_subject_raw);
// The same check on parts already taken from a certificate (Certificate::issuer_raw(), tbs(),
// signature()), for callers that keep those instead of the parsed certificate.
Status x509_verify_tbs(ByteSpan child_issuer_raw, ByteSpan tbs, const P256Signature& sig,
                       const P256PublicKey& issuer_pub, ByteSpan issuer_subject_raw);

struct CsrInfo {
  P256PublicKey public_key;
  std::string subject;  // as Certificate::subject() prints it
  Bytes der;            // the CSR's DER bytes
};
// Parses a PKCS#10 CSR (DER or PEM "CERTIFICATE REQUEST"), requires an EC P-256 key and
// ecdsa-with-SHA256, and verifies the self-signature (kBadCsrSignature if it fails).
Status x509_parse_csr(ByteSpan der_or_pem, CsrInfo* out);
// The same checks except the self-signature's: OK when the CSR parses with an EC P-256 key and
// ecdsa-with-SHA256, and *signature says whether the self-signature verifies (OK or
// kBadCsrSignature). For callers that report a bad signature in their own words.
Status x509_parse_csr_signature(ByteSpan der_or_pem, CsrInfo* out, Status* signature);

}  // namespace locus::crypto
