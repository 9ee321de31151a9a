// Certificates and CSRs for the host tools (certs.h): an adapter from the host X.509
// layer (locus/crypto/x509_host.h, library locus_x509_host) to HostResult, with the error
// classes callers have always seen (kParse for what does not parse, kRefused for what parses
// but is not acceptable). No X.509 parsing of its own.
#include "locus/certs/certs.h"

#include "locus/crypto/hash.h"
#include "locus/crypto/x509_host.h"

namespace locus::certs {

using host::HostError;

namespace {

constexpr size_t kMaxDer = 4096;

// DER only (these inputs come from the wire or the registry, never as PEM), bounded.
bool plausible_der(ByteSpan der) {
  return der.size != 0 && der.size <= kMaxDer && der.data[0] == 0x30;
}

std::string why(const Status& s) {
  if (s.module() == Module::kX509)
    return crypto::to_string(static_cast<crypto::X509Error>(s.local()));
  if (s.module() == Module::kCrypto)
    return crypto::to_string(static_cast<crypto::CryptoError>(s.local()));
  return "status 0x" + host::hex_encode(Bytes{static_cast<uint8_t>(s.code() >> 8),
                                              static_cast<uint8_t>(s.code())});
}

bool is(const Status& s, crypto::X509Error e) {
  return s.code() == Status(e).code();
}

// Public key and signature problems of a parsed element are refusals; broken DER is a parse error.
host::Error classify(const Status& s, const char* what) {
  if (is(s, crypto::X509Error::kWrongKeyType))
    return {HostError::kRefused, std::string(what) + ": public key is not an EC P-256 key"};
  if (is(s, crypto::X509Error::kWrongSignatureAlgorithm))
    return {HostError::kRefused, "signature algorithm is not ecdsa-with-SHA256"};
  return {HostError::kParse, std::string(what) + " does not parse (" + why(s) + ")"};
}

}  // namespace

HostResult<CertInfo> parse_cert(ByteSpan der) {
  if (der.size == 0 || der.size > kMaxDer)
    return {HostError::kParse, "certificate missing or too large"};
  if (!plausible_der(der)) return {HostError::kParse, "certificate does not parse (not DER)"};
  crypto::Certificate c;
  Status s = c.parse(der);
  if (!s.ok()) return classify(s, "certificate");
  CertInfo ci;
  ci.der.assign(c.der().begin(), c.der().end());
  s = c.public_key(&ci.pub);
  if (!s.ok()) return classify(s, "certificate");
  s = c.signature(&ci.sig);
  if (!s.ok()) {
    if (is(s, crypto::X509Error::kMalformed))
      return {HostError::kParse, "malformed ECDSA signature"};
    return classify(s, "certificate");
  }
  ci.subject_raw.assign(c.subject_raw().begin(), c.subject_raw().end());
  ci.issuer_raw.assign(c.issuer_raw().begin(), c.issuer_raw().end());
  ci.subject = c.subject();
  const Bytes serial = c.serial();
  ci.serial_hex = host::hex_encode(ByteSpan(serial.data(), serial.size()));
  ci.is_ca = c.is_ca();
  ci.tbs.assign(c.tbs().begin(), c.tbs().end());
  return ci;
}

HStatus verify_signed_by(const CertInfo& child, const crypto::P256PublicKey& issuer_pub,
                         const Bytes& issuer_subject_raw) {
  const Status s = crypto::x509_verify_tbs(ByteSpan(child.issuer_raw), ByteSpan(child.tbs),
                                           child.sig, issuer_pub, ByteSpan(issuer_subject_raw));
  if (s.ok()) return HStatus::Ok();
  if (is(s, crypto::X509Error::kIssuerMismatch))
    return {HostError::kRefused, "issuer name does not match the issuer's subject"};
  if (is(s, crypto::X509Error::kMalformed))
    return {HostError::kParse, "certificate has no signed part"};
  return {HostError::kRefused, "certificate signature does not verify with the issuer's key"};
}

HostResult<CsrInfo> parse_csr(ByteSpan der) {
  if (der.size == 0 || der.size > kMaxDer) return {HostError::kParse, "CSR missing or too large"};
  if (!plausible_der(der)) return {HostError::kParse, "CSR does not parse (not DER)"};
  crypto::CsrInfo info;
  Status signature = crypto::X509Error::kBadCsrSignature;
  const Status s = crypto::x509_parse_csr_signature(der, &info, &signature);
  if (!s.ok()) {
    if (is(s, crypto::X509Error::kWrongKeyType))
      return {HostError::kRefused,
              "CSR: public key is not an EC P-256 key, or not signed with ecdsa-with-SHA256"};
    return {HostError::kParse, "CSR does not parse (" + why(s) + ")"};
  }
  CsrInfo ci;
  ci.pub = info.public_key;
  ci.subject = info.subject;
  ci.signature_ok = signature.ok();
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

}  // namespace locus::certs
