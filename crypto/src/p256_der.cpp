// ECDSA P-256 signatures between the raw r||s form and DER (SEC 1 / RFC 5480
// Ecdsa-Sig-Value), for both backends: one strict codec, not one per backend.
// Strict DER: minimal, positive INTEGERs of at most 32 significant bytes, short-form lengths,
// no trailing bytes; anything else is kBadSignatureEncoding.
#include <string.h>

#include "locus/crypto/p256.h"

namespace locus::crypto {

namespace {
constexpr size_t kScalar = 32;

// Writes one DER INTEGER for a 32-byte unsigned big-endian value at *p; returns its length.
size_t der_integer(const uint8_t* v, uint8_t* p) {
  size_t skip = 0;
  while (skip < kScalar - 1 && v[skip] == 0) {
    ++skip;  // minimal encoding: strip leading zeros
  }
  const bool pad = (v[skip] & 0x80) != 0;  // keep it positive
  const size_t len = kScalar - skip + (pad ? 1 : 0);
  size_t i = 0;
  p[i++] = 0x02;  // INTEGER
  p[i++] = static_cast<uint8_t>(len);
  if (pad) {
    p[i++] = 0;
  }
  memcpy(p + i, v + skip, kScalar - skip);
  return i + kScalar - skip;
}

// Reads one strict-DER positive INTEGER of at most 32 significant bytes into out[32].
// Only the short length form can occur (at most 33 content bytes).
Status der_read_integer(const uint8_t** p, const uint8_t* end, uint8_t* out) {
  if (end - *p < 2 || (*p)[0] != 0x02) {
    return CryptoError::kBadSignatureEncoding;
  }
  size_t len = (*p)[1];
  if ((len & 0x80) != 0) {
    return CryptoError::kBadSignatureEncoding;  // long form: too long
  }
  const uint8_t* v = *p + 2;
  if (static_cast<size_t>(end - v) < len) {
    return CryptoError::kBadSignatureEncoding;
  }
  const uint8_t* next = v + len;
  if (len == 0 || (v[0] & 0x80) != 0) {
    return CryptoError::kBadSignatureEncoding;  // empty/negative
  }
  if (len > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
    return CryptoError::kBadSignatureEncoding;  // non-minimal
  }
  if (v[0] == 0 && len > 1) {
    ++v;
    --len;
  }
  if (len > kScalar) {
    return CryptoError::kBadSignatureEncoding;
  }
  memset(out, 0, kScalar);
  memcpy(out + (kScalar - len), v, len);
  *p = next;
  return Status::Ok();
}
}  // namespace

Status signature_to_der(const P256Signature& sig, MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr) {
    return CryptoError::kBadInputLength;
  }
  uint8_t body[2 * (2 + 1 + kScalar)];
  size_t n = der_integer(sig.rs.data(), body);
  n += der_integer(sig.rs.data() + kScalar, body + n);
  const size_t total = 2 + n;  // n <= 70 < 128: short-form length
  if (out.data == nullptr || out.size < total) {
    return CryptoError::kOutputTooSmall;
  }
  out.data[0] = 0x30;  // SEQUENCE, constructed
  out.data[1] = static_cast<uint8_t>(n);
  memcpy(out.data + 2, body, n);
  *out_len = total;
  return Status::Ok();
}

Status signature_from_der(ByteSpan der, P256Signature* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (der.data == nullptr || der.size == 0 || der.size > kP256SigDerMax) {
    return CryptoError::kBadSignatureEncoding;
  }
  const uint8_t* p = der.data;
  const uint8_t* end = der.data + der.size;
  // SEQUENCE with a short-form length covering exactly the rest (no trailing bytes).
  if (der.size < 2 || p[0] != 0x30 || (p[1] & 0x80) != 0 ||
      static_cast<size_t>(p[1]) != der.size - 2) {
    return CryptoError::kBadSignatureEncoding;
  }
  p += 2;
  P256Signature sig;
  LOCUS_TRY(der_read_integer(&p, end, sig.rs.data()));
  LOCUS_TRY(der_read_integer(&p, end, sig.rs.data() + kScalar));
  if (p != end) {
    return CryptoError::kBadSignatureEncoding;
  }
  *out = sig;
  return Status::Ok();
}

}  // namespace locus::crypto
