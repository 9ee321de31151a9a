// X.509 writing (CSR, certificates with the TCG DICE TcbInfo extension) and a bounded,
// heap-free reader for TcbInfo. Used on the board and on the host.
#include "locus/crypto/x509.h"

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <string.h>

#include "locus/crypto/ct.h"
#include "mbedtls_glue.h"

namespace locus::crypto {

namespace {

// 2.23.133.5.4.1 tcg-dice-TcbInfo
constexpr uint8_t kOidTcbInfo[] = {0x67, 0x81, 0x05, 0x05, 0x04, 0x01};
// 2.16.840.1.101.3.4.2.1 id-sha256
constexpr uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
// SubjectPublicKeyInfo prefix for id-ecPublicKey / prime256v1 with a 65-byte point.
constexpr uint8_t kSpkiP256Prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr uint8_t kBlindX509[] = {'l', 'o', 'c', 'u', 's', ' ', 'b', 'l', 'i', 'n', 'd', ' ', 'x'};

constexpr uint8_t kTagSeq = MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED;
constexpr uint8_t kTagSvn = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 3;  // [3] IMPLICIT INTEGER
constexpr uint8_t kTagFwids =
    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 6;  // [6] IMPLICIT SEQUENCE OF
constexpr size_t kMaxExtensions = 64;
constexpr size_t kMaxTcbFields = 16;
constexpr size_t kMaxFwids = 16;

struct Pk {
  mbedtls_pk_context pk{};
  Pk() { mbedtls_pk_init(&pk); }
  ~Pk() { mbedtls_pk_free(&pk); }
  Pk(const Pk&) = delete;
  Pk& operator=(const Pk&) = delete;
};

Status pk_from_public(const P256PublicKey& key, Pk* out) {
  uint8_t spki[sizeof(kSpkiP256Prefix) + 65];
  memcpy(spki, kSpkiP256Prefix, sizeof(kSpkiP256Prefix));
  memcpy(spki + sizeof(kSpkiP256Prefix), key.q.data(), key.q.size());
  // pk_parse checks that the point is on the curve.
  if (mbedtls_pk_parse_public_key(&out->pk, spki, sizeof(spki)) != 0) {
    return X509Error::kWrongKeyType;
  }
  return Status::Ok();
}

Status pk_from_private(const P256PrivateKey& key, detail::BlindRng& rng, Pk* out) {
  int ret = mbedtls_pk_setup(&out->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (ret != 0) {
    return detail::map_error(ret);
  }
  mbedtls_ecp_keypair* ec = mbedtls_pk_ec(out->pk);
  if (mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, ec, key.d.data(), key.d.size()) != 0) {
    return CryptoError::kBadKey;
  }
  ret = mbedtls_ecp_keypair_calc_public(ec, detail::BlindRng::rng, &rng);
  if (ret != 0) {
    return detail::map_error(ret);
  }
  return Status::Ok();
}

// mbed TLS writes DER at the end of the buffer; move it to the front.
Status finish_der(int ret, MutByteSpan out, size_t* out_len) {
  if (ret < 0) {
    const X509Error e = detail::map_x509_error(ret);
    if (e == X509Error::kBackend) {
      const CryptoError c = detail::map_error(ret);
      if (c != CryptoError::kBackend) {
        return c;
      }
    }
    return e;
  }
  const size_t n = static_cast<size_t>(ret);
  if (n == 0 || n > out.size) {
    return X509Error::kBackend;
  }
  memmove(out.data, out.data + out.size - n, n);
  *out_len = n;
  return Status::Ok();
}

bool valid_time(const char* t) {
  if (t == nullptr) {
    return false;
  }
  for (size_t i = 0; i < 14; ++i) {
    if (t[i] < '0' || t[i] > '9') {
      return false;
    }
  }
  return t[14] == '\0';
}

// Minimal positive big-endian encoding of v (no tag/length); returns its length (1..5).
size_t encode_uint(uint32_t v, uint8_t* p) {
  uint8_t tmp[5] = {0, static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                    static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  size_t start = 1;
  while (start < 4 && tmp[start] == 0) {
    ++start;
  }
  if ((tmp[start] & 0x80) != 0) {
    --start;  // keep it positive
  }
  const size_t n = 5 - start;
  memcpy(p, tmp + start, n);
  return n;
}

// DiceTcbInfo ::= SEQUENCE { svn [3] IMPLICIT INTEGER, fwids [6] IMPLICIT SEQUENCE OF FWID }
// FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER (id-sha256), digest OCTET STRING (32) }
// All lengths are below 128, so every length is a single byte.
size_t encode_tcb_info(const TcbInfo& tcb, uint8_t* out /* >= 64 bytes */) {
  uint8_t svn[5];
  const size_t svn_len = encode_uint(tcb.svn, svn);
  const size_t fwid_len = 2 + sizeof(kOidSha256) + 2 + 32;  // FWID contents
  const size_t fwids_len = 2 + fwid_len;                    // one FWID
  const size_t body = 2 + svn_len + 2 + fwids_len;
  size_t i = 0;
  out[i++] = kTagSeq;
  out[i++] = static_cast<uint8_t>(body);
  out[i++] = kTagSvn;
  out[i++] = static_cast<uint8_t>(svn_len);
  memcpy(out + i, svn, svn_len);
  i += svn_len;
  out[i++] = kTagFwids;
  out[i++] = static_cast<uint8_t>(fwids_len);
  out[i++] = kTagSeq;
  out[i++] = static_cast<uint8_t>(fwid_len);
  out[i++] = MBEDTLS_ASN1_OID;
  out[i++] = sizeof(kOidSha256);
  memcpy(out + i, kOidSha256, sizeof(kOidSha256));
  i += sizeof(kOidSha256);
  out[i++] = MBEDTLS_ASN1_OCTET_STRING;
  out[i++] = 32;
  memcpy(out + i, tcb.fwid.data(), 32);
  return i + 32;
}

struct CrtWriter {
  mbedtls_x509write_cert w{};
  CrtWriter() { mbedtls_x509write_crt_init(&w); }
  ~CrtWriter() { mbedtls_x509write_crt_free(&w); }
  CrtWriter(const CrtWriter&) = delete;
  CrtWriter& operator=(const CrtWriter&) = delete;
};
struct CsrWriter {
  mbedtls_x509write_csr w{};
  CsrWriter() { mbedtls_x509write_csr_init(&w); }
  ~CsrWriter() { mbedtls_x509write_csr_free(&w); }
  CsrWriter(const CsrWriter&) = delete;
  CsrWriter& operator=(const CsrWriter&) = delete;
};

Status map_ext(int ret) {
  return ret == 0 ? Status::Ok() : Status(detail::map_x509_error(ret));
}

}  // namespace

Status x509_key_id(const P256PublicKey& key, std::array<uint8_t, kKeyIdSize>* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  Digest h;
  LOCUS_TRY(sha256(ByteSpan(key.q.data(), key.q.size()), &h));
  memcpy(out->data(), h.data(), kKeyIdSize);
  return Status::Ok();
}

Status x509_write_csr(const P256PrivateKey& key, const char* subject, MutByteSpan out,
                      size_t* out_len) {
  if (out_len == nullptr || out.data == nullptr || out.size == 0) {
    return X509Error::kOutputTooSmall;
  }
  if (subject == nullptr || subject[0] == '\0') {
    return X509Error::kBadSubject;
  }
  detail::BlindRng rng(ByteSpan(key.d.data(), key.d.size()), ByteSpan(kBlindX509));
  LOCUS_TRY(rng.status());
  Pk pk;
  LOCUS_TRY(pk_from_private(key, rng, &pk));
  CsrWriter csr;
  mbedtls_x509write_csr_set_key(&csr.w, &pk.pk);
  mbedtls_x509write_csr_set_md_alg(&csr.w, MBEDTLS_MD_SHA256);
  if (mbedtls_x509write_csr_set_subject_name(&csr.w, subject) != 0) {
    return X509Error::kBadSubject;
  }
  const int ret =
      mbedtls_x509write_csr_der(&csr.w, out.data, out.size, detail::BlindRng::rng, &rng);
  return finish_der(ret, out, out_len);
}

Status x509_issue(const CertSpec& spec, const P256PublicKey& subject_key,
                  const P256PrivateKey& issuer_key, MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr || out.data == nullptr || out.size == 0) {
    return X509Error::kOutputTooSmall;
  }
  if (spec.subject == nullptr || spec.subject[0] == '\0' || spec.issuer == nullptr ||
      spec.issuer[0] == '\0') {
    return X509Error::kBadSubject;
  }
  if (spec.serial.data == nullptr || spec.serial.size == 0 || spec.serial.size > 20 ||
      spec.serial.data[0] == 0 || (spec.serial.size == 20 && (spec.serial.data[0] & 0x80) != 0)) {
    return CoreError::kInvalidArgument;
  }
  if (!valid_time(spec.not_before) || !valid_time(spec.not_after) ||
      strcmp(spec.not_before, spec.not_after) > 0) {
    return X509Error::kBadValidity;
  }
  if (spec.max_path_len < -1 || (!spec.is_ca && spec.max_path_len != -1)) {
    return CoreError::kInvalidArgument;
  }
  if (spec.authority_key_id.size > 64 ||
      (spec.authority_key_id.size != 0 && spec.authority_key_id.data == nullptr)) {
    return CoreError::kInvalidArgument;
  }

  detail::BlindRng rng(ByteSpan(issuer_key.d.data(), issuer_key.d.size()), ByteSpan(kBlindX509));
  LOCUS_TRY(rng.status());
  Pk subject_pk, issuer_pk;
  LOCUS_TRY(pk_from_public(subject_key, &subject_pk));
  LOCUS_TRY(pk_from_private(issuer_key, rng, &issuer_pk));

  CrtWriter crt;
  mbedtls_x509write_crt_set_version(&crt.w, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&crt.w, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&crt.w, &subject_pk.pk);
  mbedtls_x509write_crt_set_issuer_key(&crt.w, &issuer_pk.pk);
  uint8_t serial[20];
  memcpy(serial, spec.serial.data, spec.serial.size);
  if (mbedtls_x509write_crt_set_serial_raw(&crt.w, serial, spec.serial.size) != 0) {
    return CoreError::kInvalidArgument;
  }
  if (mbedtls_x509write_crt_set_subject_name(&crt.w, spec.subject) != 0 ||
      mbedtls_x509write_crt_set_issuer_name(&crt.w, spec.issuer) != 0) {
    return X509Error::kBadSubject;
  }
  if (mbedtls_x509write_crt_set_validity(&crt.w, spec.not_before, spec.not_after) != 0) {
    return X509Error::kBadValidity;
  }
  LOCUS_TRY(map_ext(mbedtls_x509write_crt_set_basic_constraints(
      &crt.w, spec.is_ca ? 1 : 0, spec.is_ca ? spec.max_path_len : -1)));
  const unsigned int ku = spec.is_ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                                     : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
  LOCUS_TRY(map_ext(mbedtls_x509write_crt_set_key_usage(&crt.w, ku)));

  // subjectKeyIdentifier: OCTET STRING (20)
  std::array<uint8_t, kKeyIdSize> ski{};
  LOCUS_TRY(x509_key_id(subject_key, &ski));
  uint8_t ski_ext[2 + kKeyIdSize] = {MBEDTLS_ASN1_OCTET_STRING, kKeyIdSize};
  memcpy(ski_ext + 2, ski.data(), kKeyIdSize);
  LOCUS_TRY(map_ext(mbedtls_x509write_crt_set_extension(
      &crt.w, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
      MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER), 0, ski_ext, sizeof(ski_ext))));

  // authorityKeyIdentifier: SEQUENCE { [0] IMPLICIT OCTET STRING keyIdentifier }
  uint8_t aki_ext[4 + 64];
  size_t aki_len = 0;
  if (spec.authority_key_id.size != 0) {
    aki_len = spec.authority_key_id.size;
    memcpy(aki_ext + 4, spec.authority_key_id.data, aki_len);
  } else {
    P256PublicKey issuer_pub;
    LOCUS_TRY(p256_public_key(issuer_key, &issuer_pub));
    std::array<uint8_t, kKeyIdSize> aki{};
    LOCUS_TRY(x509_key_id(issuer_pub, &aki));
    aki_len = kKeyIdSize;
    memcpy(aki_ext + 4, aki.data(), kKeyIdSize);
  }
  aki_ext[0] = kTagSeq;
  aki_ext[1] = static_cast<uint8_t>(2 + aki_len);
  aki_ext[2] = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0;
  aki_ext[3] = static_cast<uint8_t>(aki_len);
  LOCUS_TRY(map_ext(mbedtls_x509write_crt_set_extension(
      &crt.w, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
      MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), 0, aki_ext, 4 + aki_len)));

  if (spec.tcb_info != nullptr) {
    uint8_t tcb[64];
    const size_t n = encode_tcb_info(*spec.tcb_info, tcb);
    LOCUS_TRY(map_ext(mbedtls_x509write_crt_set_extension(
        &crt.w, reinterpret_cast<const char*>(kOidTcbInfo), sizeof(kOidTcbInfo), 0, tcb, n)));
  }

  const int ret =
      mbedtls_x509write_crt_der(&crt.w, out.data, out.size, detail::BlindRng::rng, &rng);
  return finish_der(ret, out, out_len);
}

// ---- TcbInfo reader: a bounded walk with mbedtls_asn1_get_* (no heap, works without
// MBEDTLS_X509_CRT_PARSE_C). Each step consumes at least two bytes of the input.

namespace {

using Ptr = unsigned char*;

bool skip_tag(Ptr* p, const unsigned char* end, int tag) {
  size_t len = 0;
  if (mbedtls_asn1_get_tag(p, end, &len, tag) != 0) {
    return false;
  }
  *p += len;
  return true;
}

bool oid_equals(const unsigned char* p, size_t len, const uint8_t* oid, size_t oid_len) {
  return len == oid_len && memcmp(p, oid, len) == 0;
}

// Parses a DiceTcbInfo value. Unknown optional fields are skipped; fields must appear in
// increasing tag order (DER); svn and a SHA-256 FWID are required.
Status parse_tcb_info(Ptr p, const unsigned char* end, TcbInfo* out) {
  size_t len = 0;
  if (mbedtls_asn1_get_tag(&p, end, &len, kTagSeq) != 0 || p + len != end) {
    return X509Error::kBadTcbInfo;
  }
  bool have_svn = false, have_fwid = false;
  int last_tag_no = -1;
  TcbInfo tcb;
  for (size_t field = 0; p < end; ++field) {
    if (field >= kMaxTcbFields) {
      return X509Error::kBadTcbInfo;
    }
    const unsigned char tag = *p;
    if ((tag & 0xC0) != MBEDTLS_ASN1_CONTEXT_SPECIFIC) {
      return X509Error::kBadTcbInfo;
    }
    const int tag_no = tag & 0x1F;
    if (tag_no == 0x1F || tag_no <= last_tag_no) {
      return X509Error::kBadTcbInfo;  // order / high tags
    }
    last_tag_no = tag_no;
    if (mbedtls_asn1_get_tag(&p, end, &len, tag) != 0) {
      return X509Error::kBadTcbInfo;
    }
    const unsigned char* v = p;
    p += len;
    if (tag == kTagSvn) {
      // Positive, minimal INTEGER that fits in 32 bits.
      if (len == 0 || len > 5 || (v[0] & 0x80) != 0) {
        return X509Error::kBadTcbInfo;
      }
      if (len > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
        return X509Error::kBadTcbInfo;
      }
      if (len == 5 && v[0] != 0) {
        return X509Error::kBadTcbInfo;
      }
      uint32_t svn = 0;
      for (size_t i = 0; i < len; ++i) {
        svn = (svn << 8) | v[i];
      }
      tcb.svn = svn;
      have_svn = true;
    } else if (tag == kTagFwids) {
      Ptr q = const_cast<Ptr>(v);
      const unsigned char* fend = p;
      for (size_t n = 0; q < fend; ++n) {
        if (n >= kMaxFwids) {
          return X509Error::kBadTcbInfo;
        }
        size_t flen = 0, olen = 0, dlen = 0;
        if (mbedtls_asn1_get_tag(&q, fend, &flen, kTagSeq) != 0) {
          return X509Error::kBadTcbInfo;
        }
        const unsigned char* fwid_end = q + flen;
        if (mbedtls_asn1_get_tag(&q, fwid_end, &olen, MBEDTLS_ASN1_OID) != 0) {
          return X509Error::kBadTcbInfo;
        }
        const unsigned char* oid = q;
        q += olen;
        if (mbedtls_asn1_get_tag(&q, fwid_end, &dlen, MBEDTLS_ASN1_OCTET_STRING) != 0) {
          return X509Error::kBadTcbInfo;
        }
        const unsigned char* digest = q;
        q += dlen;
        if (q != fwid_end) {
          return X509Error::kBadTcbInfo;
        }
        if (oid_equals(oid, olen, kOidSha256, sizeof(kOidSha256))) {
          if (dlen != 32) {
            return X509Error::kBadTcbInfo;
          }
          if (!have_fwid) {
            memcpy(tcb.fwid.data(), digest, 32);  // the first SHA-256 FWID
          }
          have_fwid = true;
        }
      }
    }
    // Other fields (vendor, model, version, layer, index, flags, ...) are not used by locus.
  }
  if (!have_svn || !have_fwid) {
    return X509Error::kBadTcbInfo;
  }
  *out = tcb;
  return Status::Ok();
}

}  // namespace

Status x509_read_tcb_info(ByteSpan cert_der, TcbInfo* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (cert_der.data == nullptr || cert_der.size == 0) {
    return X509Error::kMalformed;
  }
  Ptr p = const_cast<Ptr>(cert_der.data);  // mbed TLS's parser API takes non-const pointers
  const unsigned char* end = cert_der.data + cert_der.size;
  size_t len = 0;
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  if (mbedtls_asn1_get_tag(&p, end, &len, kTagSeq) != 0 || p + len != end) {
    return X509Error::kMalformed;
  }
  if (mbedtls_asn1_get_tag(&p, end, &len, kTagSeq) != 0) {
    return X509Error::kMalformed;
  }
  const unsigned char* tbs_end = p + len;
  // version [0] EXPLICIT (optional; extensions require v3)
  if (p < tbs_end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
    if (!skip_tag(&p, tbs_end, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
      return X509Error::kMalformed;
    }
  }
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  if (!skip_tag(&p, tbs_end, MBEDTLS_ASN1_INTEGER) || !skip_tag(&p, tbs_end, kTagSeq) ||
      !skip_tag(&p, tbs_end, kTagSeq) || !skip_tag(&p, tbs_end, kTagSeq) ||
      !skip_tag(&p, tbs_end, kTagSeq) || !skip_tag(&p, tbs_end, kTagSeq)) {
    return X509Error::kMalformed;
  }
  // issuerUniqueID [1], subjectUniqueID [2] (optional, primitive)
  for (int t = 1; t <= 2; ++t) {
    if (p < tbs_end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | t)) {
      if (!skip_tag(&p, tbs_end, MBEDTLS_ASN1_CONTEXT_SPECIFIC | t)) {
        return X509Error::kMalformed;
      }
    }
  }
  if (p == tbs_end) {
    return X509Error::kNoTcbInfo;  // no extensions at all
  }
  if (mbedtls_asn1_get_tag(&p, tbs_end, &len,
                           MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3) != 0 ||
      p + len != tbs_end) {
    return X509Error::kMalformed;
  }
  if (mbedtls_asn1_get_tag(&p, tbs_end, &len, kTagSeq) != 0 || p + len != tbs_end) {
    return X509Error::kMalformed;
  }

  bool found = false;
  Status result = X509Error::kNoTcbInfo;
  for (size_t n = 0; p < tbs_end; ++n) {
    if (n >= kMaxExtensions) {
      return X509Error::kMalformed;
    }
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    if (mbedtls_asn1_get_tag(&p, tbs_end, &len, kTagSeq) != 0) {
      return X509Error::kMalformed;
    }
    const unsigned char* ext_end = p + len;
    size_t olen = 0, vlen = 0;
    if (mbedtls_asn1_get_tag(&p, ext_end, &olen, MBEDTLS_ASN1_OID) != 0) {
      return X509Error::kMalformed;
    }
    const unsigned char* oid = p;
    p += olen;
    if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN) {
      int critical = 0;
      if (mbedtls_asn1_get_bool(&p, ext_end, &critical) != 0) {
        return X509Error::kMalformed;
      }
    }
    if (mbedtls_asn1_get_tag(&p, ext_end, &vlen, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
        p + vlen != ext_end) {
      return X509Error::kMalformed;
    }
    if (oid_equals(oid, olen, kOidTcbInfo, sizeof(kOidTcbInfo))) {
      if (found) {
        return X509Error::kBadTcbInfo;  // RFC 5280: an extension appears at most once
      }
      found = true;
      result = parse_tcb_info(p, ext_end, out);
      if (!result.ok()) {
        return result;
      }
    }
    p = const_cast<Ptr>(ext_end);
  }
  return result;
}

}  // namespace locus::crypto
