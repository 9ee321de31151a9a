// Host-only X.509 (locus_x509_host): PEM, certificate parsing, chain verification, single-link
// signature checks, CSR verification. mbed TLS parses (public fields and functions only); the
// signatures locus checks itself go through p256.h, i.e. the image's crypto backend.
#include "locus/crypto/x509_host.h"

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <string.h>

#include "locus/crypto/ct.h"
#include "mbedtls_glue.h"

namespace locus::crypto {

namespace {

constexpr size_t kMaxInput = 1 << 20;  // refuse absurd inputs before touching them

bool looks_pem(ByteSpan in) {
  size_t i = 0;
  while (i < in.size && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n')) {
    ++i;
  }
  static const char kBegin[] = "-----BEGIN";
  return in.size - i >= sizeof(kBegin) - 1 && memcmp(in.data + i, kBegin, sizeof(kBegin) - 1) == 0;
}

Status public_key_of(const mbedtls_pk_context& pk, P256PublicKey* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY) {
    return X509Error::kWrongKeyType;
  }
  const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(pk);
  if (ec == nullptr || mbedtls_ecp_keypair_get_group_id(ec) != MBEDTLS_ECP_DP_SECP256R1) {
    return X509Error::kWrongKeyType;
  }
  size_t olen = 0;
  P256PublicKey pub;
  if (mbedtls_ecp_write_public_key(ec, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pub.q.data(),
                                   pub.q.size()) != 0 ||
      olen != pub.q.size()) {
    return X509Error::kWrongKeyType;
  }
  *out = pub;
  return Status::Ok();
}

std::string dn_string(const mbedtls_x509_name* name) {
  char buf[1024];
  const int n = mbedtls_x509_dn_gets(buf, sizeof(buf), name);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

struct Crt {
  mbedtls_x509_crt c{};
  Crt() { mbedtls_x509_crt_init(&c); }
  ~Crt() { mbedtls_x509_crt_free(&c); }
  Crt(const Crt&) = delete;
  Crt& operator=(const Crt&) = delete;
};

// Reads AlgorithmIdentifier + BIT STRING that follow a signed part (certificate or CSR) and
// ends exactly at end: ecdsa-with-SHA256 (no parameters) and a strict DER ECDSA-Sig-Value.
Status read_trailer_signature(const unsigned char* p, const unsigned char* end,
                              P256Signature* out) {
  auto* q = const_cast<unsigned char*>(p);  // mbed TLS's parser API is not const-correct
  mbedtls_asn1_buf oid{}, params{};
  if (mbedtls_asn1_get_alg(&q, end, &oid, &params) != 0) {
    return X509Error::kMalformed;
  }
  if (oid.len != MBEDTLS_OID_SIZE(MBEDTLS_OID_ECDSA_SHA256) ||
      memcmp(oid.p, MBEDTLS_OID_ECDSA_SHA256, oid.len) != 0) {
    return X509Error::kWrongSignatureAlgorithm;
  }
  size_t len = 0;
  if (mbedtls_asn1_get_bitstring_null(&q, end, &len) != 0 || q + len != end) {
    return X509Error::kMalformed;
  }
  if (!signature_from_der(ByteSpan(q, len), out).ok()) {
    return X509Error::kMalformed;
  }
  return Status::Ok();
}

Status add_cert(mbedtls_x509_crt* list, const Bytes& in) {
  Bytes der;
  LOCUS_TRY(to_der(ByteSpan(in.data(), in.size()), "CERTIFICATE", &der));
  const int ret = mbedtls_x509_crt_parse_der(list, der.data(), der.size());
  return ret == 0 ? Status::Ok() : Status(detail::map_x509_error(ret));
}

}  // namespace

Status pem_to_der(const std::string& pem, const char* label, Bytes* der) {
  if (der == nullptr || label == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (pem.size() > kMaxInput) {
    return X509Error::kMalformed;
  }
  const std::string header = std::string("-----BEGIN ") + label + "-----";
  const std::string footer = std::string("-----END ") + label + "-----";
  mbedtls_pem_context ctx;
  mbedtls_pem_init(&ctx);
  size_t used = 0;
  // pem.c_str() is NUL-terminated, as mbedtls_pem_read_buffer requires.
  const int ret = mbedtls_pem_read_buffer(&ctx, header.c_str(), footer.c_str(),
                                          reinterpret_cast<const unsigned char*>(pem.c_str()),
                                          nullptr, 0, &used);
  Status s = X509Error::kMalformed;
  if (ret == 0) {
    size_t len = 0;
    const unsigned char* buf = mbedtls_pem_get_buffer(&ctx, &len);
    if (buf != nullptr && len != 0) {
      der->assign(buf, buf + len);
      s = Status::Ok();
    }
  }
  mbedtls_pem_free(&ctx);
  return s;
}

Status der_to_pem(ByteSpan der, const char* label, std::string* pem) {
  if (pem == nullptr || label == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (der.data == nullptr || der.size == 0 || der.size > kMaxInput) {
    return X509Error::kMalformed;
  }
  const std::string header = std::string("-----BEGIN ") + label + "-----\n";
  const std::string footer = std::string("-----END ") + label + "-----\n";
  // Base64 with 64-column lines: 4/3 growth plus a newline per 48 input bytes.
  std::string buf(header.size() + footer.size() + der.size * 4 / 3 + der.size / 48 + 16, '\0');
  size_t olen = 0;
  const int ret =
      mbedtls_pem_write_buffer(header.c_str(), footer.c_str(), der.data, der.size,
                               reinterpret_cast<unsigned char*>(&buf[0]), buf.size(), &olen);
  if (ret != 0 || olen == 0) {
    return X509Error::kBackend;
  }
  buf.resize(olen - 1);  // olen counts the terminating NUL
  *pem = std::move(buf);
  return Status::Ok();
}

Status to_der(ByteSpan in, const char* label, Bytes* der) {
  if (der == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (in.data == nullptr || in.size == 0 || in.size > kMaxInput) {
    return X509Error::kMalformed;
  }
  if (looks_pem(in)) {
    return pem_to_der(std::string(reinterpret_cast<const char*>(in.data), in.size), label, der);
  }
  der->assign(in.begin(), in.end());
  return Status::Ok();
}

// ---- Certificate

struct Certificate::Impl {
  Crt crt;
};

Certificate::Certificate() = default;
Certificate::~Certificate() = default;
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;

Status Certificate::parse(ByteSpan in) {
  impl_.reset();
  Bytes der;
  LOCUS_TRY(to_der(in, "CERTIFICATE", &der));
  auto impl = std::make_unique<Impl>();
  const int ret = mbedtls_x509_crt_parse_der(&impl->crt.c, der.data(), der.size());
  if (ret != 0) {
    return detail::map_x509_error(ret);
  }
  // Exactly one certificate: trailing bytes after the DER are rejected.
  if (impl->crt.c.raw.len != der.size()) {
    return X509Error::kMalformed;
  }
  impl_ = std::move(impl);
  return Status::Ok();
}

bool Certificate::loaded() const {
  return impl_ != nullptr;
}

ByteSpan Certificate::der() const {
  if (!impl_) {
    return ByteSpan();
  }
  return ByteSpan(impl_->crt.c.raw.p, impl_->crt.c.raw.len);
}

Status Certificate::public_key(P256PublicKey* out) const {
  if (!impl_) {
    return X509Error::kMalformed;
  }
  return public_key_of(impl_->crt.c.pk, out);
}

std::string Certificate::subject() const {
  return impl_ ? dn_string(&impl_->crt.c.subject) : std::string();
}
std::string Certificate::issuer() const {
  return impl_ ? dn_string(&impl_->crt.c.issuer) : std::string();
}

Bytes Certificate::serial() const {
  if (!impl_) {
    return {};
  }
  const mbedtls_x509_buf& s = impl_->crt.c.serial;
  return Bytes(s.p, s.p + s.len);
}

Bytes Certificate::subject_key_id() const {
  if (!impl_) {
    return {};
  }
  const mbedtls_x509_buf& k = impl_->crt.c.subject_key_id;
  if (k.p == nullptr || k.len == 0) {
    return {};
  }
  return Bytes(k.p, k.p + k.len);
}

bool Certificate::is_ca() const {
  return impl_ && mbedtls_x509_crt_get_ca_istrue(&impl_->crt.c) == 1;
}

Status Certificate::tcb_info(TcbInfo* out) const {
  if (!impl_) {
    return X509Error::kMalformed;
  }
  return x509_read_tcb_info(der(), out);
}

ByteSpan Certificate::subject_raw() const {
  if (!impl_) {
    return ByteSpan();
  }
  return ByteSpan(impl_->crt.c.subject_raw.p, impl_->crt.c.subject_raw.len);
}

ByteSpan Certificate::issuer_raw() const {
  if (!impl_) {
    return ByteSpan();
  }
  return ByteSpan(impl_->crt.c.issuer_raw.p, impl_->crt.c.issuer_raw.len);
}

ByteSpan Certificate::tbs() const {
  if (!impl_) {
    return ByteSpan();
  }
  return ByteSpan(impl_->crt.c.tbs.p, impl_->crt.c.tbs.len);
}

Status Certificate::signature(P256Signature* out) const {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (!impl_) {
    return X509Error::kMalformed;
  }
  const mbedtls_x509_crt& c = impl_->crt.c;
  return read_trailer_signature(c.tbs.p + c.tbs.len, c.raw.p + c.raw.len, out);
}

Status x509_verify_tbs(ByteSpan child_issuer_raw, ByteSpan tbs, const P256Signature& sig,
                       const P256PublicKey& issuer_pub, ByteSpan issuer_subject_raw) {
  Status result = X509Error::kBadCertSignature;  // fail closed until verified
  if (issuer_subject_raw.size == 0 || !ct_equal(child_issuer_raw, issuer_subject_raw)) {
    return X509Error::kIssuerMismatch;
  }
  if (tbs.data == nullptr || tbs.size == 0) {
    return X509Error::kMalformed;
  }
  Digest h;
  LOCUS_TRY(sha256(tbs, &h));
  const Status v = ecdsa_verify_digest(issuer_pub, h, sig);
  if (v.ok()) {
    result = Status::Ok();
  } else if (v.code() == Status(CryptoError::kBadKey).code()) {
    result = X509Error::kWrongKeyType;
  }
  return result;
}

Status x509_verify_signed_by(const Certificate& child, const P256PublicKey& issuer_pub,
                             ByteSpan issuer_subject_raw) {
  if (!child.loaded()) {
    return X509Error::kMalformed;
  }
  P256Signature sig;
  LOCUS_TRY(child.signature(&sig));
  return x509_verify_tbs(child.issuer_raw(), child.tbs(), sig, issuer_pub, issuer_subject_raw);
}

// ---- chain verification

Status x509_verify_chain(const std::vector<Bytes>& chain, const std::vector<Bytes>& trusted_roots,
                         ChainProfile profile, uint32_t* flags_out) {
  if (flags_out != nullptr) {
    *flags_out = 0xFFFFFFFFu;  // fail closed until verified
  }
  if (chain.empty() || trusted_roots.empty()) {
    return CoreError::kInvalidArgument;
  }
  mbedtls_x509_crt_profile prof{};
  switch (profile) {
    case ChainProfile::kLocusP256:
      prof.allowed_mds = MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256);
      prof.allowed_pks =
          MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY);
      prof.allowed_curves = MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1);
      prof.rsa_min_bitlen = 0xFFFFFFFFu;  // no RSA at all
      break;
    case ChainProfile::kTpmEk:
      prof.allowed_mds = MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
                         MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
                         MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512);
      prof.allowed_pks =
          MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) |
          MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSASSA_PSS);
      prof.allowed_curves = MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
                            MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1);
      prof.rsa_min_bitlen = 2048;
      break;
    default: return CoreError::kInvalidArgument;
  }
  Crt leaf, roots;
  for (const Bytes& c : chain) {
    LOCUS_TRY(add_cert(&leaf.c, c));
  }
  for (const Bytes& r : trusted_roots) {
    LOCUS_TRY(add_cert(&roots.c, r));
  }
  uint32_t flags = 0xFFFFFFFFu;
  const int ret = mbedtls_x509_crt_verify_with_profile(&leaf.c, &roots.c, nullptr, &prof, nullptr,
                                                       &flags, nullptr, nullptr);
  if (flags_out != nullptr) {
    *flags_out = flags;
  }
  // Checked twice: the return value and the flags must both say "valid".
  if (ret != 0) {
    return X509Error::kChainInvalid;
  }
  if (flags != 0) {
    return X509Error::kChainInvalid;
  }
  return Status::Ok();
}

// ---- CSR

Status x509_parse_csr_signature(ByteSpan in, CsrInfo* out, Status* signature) {
  if (out == nullptr || signature == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *signature = X509Error::kBadCsrSignature;  // fail closed until verified
  Bytes der;
  LOCUS_TRY(to_der(in, "CERTIFICATE REQUEST", &der));
  mbedtls_x509_csr csr;
  mbedtls_x509_csr_init(&csr);
  struct Free {
    mbedtls_x509_csr* c;
    ~Free() { mbedtls_x509_csr_free(c); }
  } guard{&csr};
  int ret = mbedtls_x509_csr_parse_der(&csr, der.data(), der.size());
  if (ret != 0) {
    return detail::map_x509_error(ret);
  }
  if (csr.raw.len != der.size()) {
    return X509Error::kMalformed;  // trailing bytes
  }

  CsrInfo info;
  LOCUS_TRY(public_key_of(csr.pk, &info.public_key));
  if (csr.sig_oid.len != MBEDTLS_OID_SIZE(MBEDTLS_OID_ECDSA_SHA256) ||
      memcmp(csr.sig_oid.p, MBEDTLS_OID_ECDSA_SHA256, csr.sig_oid.len) != 0) {
    return X509Error::kWrongKeyType;
  }
  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT
  // STRING }
  unsigned char* p = der.data();
  const unsigned char* end = der.data() + der.size();
  size_t len = 0;
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED) != 0) {
    return X509Error::kMalformed;
  }
  for (int i = 0; i < 2; ++i) {
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED) !=
        0) {
      return X509Error::kMalformed;
    }
    p += len;
  }
  if (mbedtls_asn1_get_bitstring_null(&p, end, &len) != 0 || p + len != end) {
    return X509Error::kMalformed;
  }
  P256Signature sig;
  Status sig_status = X509Error::kBadCsrSignature;
  if (signature_from_der(ByteSpan(p, len), &sig).ok()) {
    Digest h;
    LOCUS_TRY(sha256(ByteSpan(csr.cri.p, csr.cri.len), &h));
    if (ecdsa_verify_digest(info.public_key, h, sig).ok()) {
      sig_status = Status::Ok();
    }
  }

  info.subject = dn_string(&csr.subject);
  info.der = std::move(der);
  *out = std::move(info);
  *signature = sig_status;
  return Status::Ok();
}

Status x509_parse_csr(ByteSpan in, CsrInfo* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  CsrInfo info;
  Status signature = X509Error::kBadCsrSignature;
  LOCUS_TRY(x509_parse_csr_signature(in, &info, &signature));
  if (!signature.ok()) {
    return X509Error::kBadCsrSignature;
  }
  *out = std::move(info);
  return Status::Ok();
}

}  // namespace locus::crypto
