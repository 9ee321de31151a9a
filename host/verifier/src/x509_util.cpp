// Host-side X.509 parsing over mbed TLS's public API (no private struct fields): the
// signature after the TBS part is read with the ASN.1 helpers and checked with crypto/.
#include "locus/verifier/x509_util.h"

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include <cstring>

#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"

namespace locus::verifier {

using host::HostError;

namespace {

const uint8_t kOidEcdsaSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

HStatus pk_to_pub(const mbedtls_pk_context& pk_in, crypto::P256PublicKey* out) {
  // mbedtls_pk_write_pubkey_der takes a non-const context but does not modify it.
  auto* pk = const_cast<mbedtls_pk_context*>(&pk_in);
  if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) return {HostError::kRefused, "public key is not an EC key"};
  unsigned char buf[200];
  int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof buf);
  if (n <= 0) return {HostError::kParse, "cannot re-encode the public key"};
  return host::spki_to_p256(buf + sizeof buf - static_cast<size_t>(n), static_cast<size_t>(n), out);
}

// Reads AlgorithmIdentifier + BIT STRING signature that follow the signed part.
HStatus read_trailer_sig(const unsigned char* p, const unsigned char* end, crypto::P256Signature* sig) {
  unsigned char* q = const_cast<unsigned char*>(p);
  mbedtls_asn1_buf oid{}, params{};
  if (mbedtls_asn1_get_alg(&q, end, &oid, &params) != 0) return {HostError::kParse, "malformed signature algorithm"};
  if (oid.len != sizeof kOidEcdsaSha256 || std::memcmp(oid.p, kOidEcdsaSha256, oid.len) != 0)
    return {HostError::kRefused, "signature algorithm is not ecdsa-with-SHA256"};
  size_t len = 0;
  if (mbedtls_asn1_get_bitstring_null(&q, end, &len) != 0) return {HostError::kParse, "malformed signature"};
  if (q + len != end) return {HostError::kParse, "trailing bytes after the signature"};
  if (!crypto::signature_from_der(ByteSpan(q, len), sig).ok()) return {HostError::kParse, "malformed ECDSA signature"};
  return HStatus::Ok();
}

}  // namespace

HostResult<CertInfo> parse_cert(ByteSpan der) {
  if (der.size == 0 || der.size > 4096) return {HostError::kParse, "certificate missing or too large"};
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  struct Free { mbedtls_x509_crt* c; ~Free() { mbedtls_x509_crt_free(c); } } f{&crt};
  int rc = mbedtls_x509_crt_parse_der(&crt, der.data, der.size);
  if (rc != 0) return {HostError::kParse, "certificate does not parse (mbed TLS " + std::to_string(rc) + ")"};
  if (crt.raw.len != der.size) return {HostError::kParse, "trailing bytes after the certificate"};
  CertInfo ci;
  ci.der.assign(der.begin(), der.end());
  HStatus s = pk_to_pub(crt.pk, &ci.pub);
  if (!s.ok()) return s.error();
  ci.subject_raw.assign(crt.subject_raw.p, crt.subject_raw.p + crt.subject_raw.len);
  ci.issuer_raw.assign(crt.issuer_raw.p, crt.issuer_raw.p + crt.issuer_raw.len);
  char name[512];
  if (mbedtls_x509_dn_gets(name, sizeof name, &crt.subject) > 0) ci.subject = name;
  ci.serial_hex = host::hex_encode(ByteSpan(crt.serial.p, crt.serial.len));
  ci.is_ca = mbedtls_x509_crt_get_ca_istrue(&crt) == 1;
  ci.tbs.assign(crt.tbs.p, crt.tbs.p + crt.tbs.len);
  const unsigned char* end = crt.raw.p + crt.raw.len;
  s = read_trailer_sig(crt.tbs.p + crt.tbs.len, end, &ci.sig);
  if (!s.ok()) return s.error();
  return ci;
}

HStatus verify_signed_by(const CertInfo& child, const crypto::P256PublicKey& issuer_pub,
                         const Bytes& issuer_subject_raw) {
  if (!crypto::ct_equal(ByteSpan(child.issuer_raw), ByteSpan(issuer_subject_raw)))
    return {HostError::kRefused, "issuer name does not match the issuer's subject"};
  crypto::Digest d{};
  if (!crypto::sha256(child.tbs, &d).ok()) return {HostError::kInternal, "sha256 failed"};
  if (!crypto::ecdsa_verify_digest(issuer_pub, d, child.sig).ok())
    return {HostError::kRefused, "certificate signature does not verify with the issuer's key"};
  return HStatus::Ok();
}

HostResult<CsrInfo> parse_csr(ByteSpan der) {
  if (der.size == 0 || der.size > 4096) return {HostError::kParse, "CSR missing or too large"};
  mbedtls_x509_csr csr;
  mbedtls_x509_csr_init(&csr);
  struct Free { mbedtls_x509_csr* c; ~Free() { mbedtls_x509_csr_free(c); } } f{&csr};
  int rc = mbedtls_x509_csr_parse_der(&csr, der.data, der.size);
  if (rc != 0) return {HostError::kParse, "CSR does not parse (mbed TLS " + std::to_string(rc) + ")"};
  if (csr.raw.len != der.size) return {HostError::kParse, "trailing bytes after the CSR"};
  CsrInfo ci;
  HStatus s = pk_to_pub(csr.pk, &ci.pub);
  if (!s.ok()) return s.error();
  char name[512];
  if (mbedtls_x509_dn_gets(name, sizeof name, &csr.subject) > 0) ci.subject = name;
  crypto::P256Signature sig;
  s = read_trailer_sig(csr.cri.p + csr.cri.len, csr.raw.p + csr.raw.len, &sig);
  if (!s.ok()) return s.error();
  crypto::Digest d{};
  if (!crypto::sha256(ByteSpan(csr.cri.p, csr.cri.len), &d).ok()) return {HostError::kInternal, "sha256 failed"};
  ci.signature_ok = crypto::ecdsa_verify_digest(ci.pub, d, sig).ok();
  return ci;
}

HostResult<Bytes> ueid_of(const crypto::P256PublicKey& pub) {
  crypto::Digest d{};
  if (!crypto::sha256(pub.q, &d).ok()) return {HostError::kInternal, "sha256 failed"};
  Bytes u;
  u.push_back(0x01);
  u.insert(u.end(), d.begin(), d.end());
  return u;
}

}  // namespace locus::verifier
