// SHA-256, HMAC-SHA256 and HKDF-SHA256 over mbed TLS.
#include "locus/crypto/hash.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "mbedtls_glue.h"

namespace locus::crypto {

static_assert(sizeof(mbedtls_sha256_context) <= 128, "Sha256::ctx_ too small for mbed TLS");
static_assert(alignof(mbedtls_sha256_context) <= 8, "Sha256::ctx_ under-aligned");

namespace {
mbedtls_sha256_context* sha_ctx(uint8_t* p) {
  return reinterpret_cast<mbedtls_sha256_context*>(p);
}
const mbedtls_md_info_t* sha256_info() {
  return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}
// A span with a length must have data.
bool valid(ByteSpan s) {
  return s.data != nullptr || s.size == 0;
}
}  // namespace

Status sha256(ByteSpan in, Digest* out) {
  if (out == nullptr || (in.data == nullptr && in.size != 0)) {
    return CryptoError::kBadInputLength;
  }
  return detail::from_ret(mbedtls_sha256(in.data, in.size, out->data(), 0));
}

Sha256::Sha256() {
  mbedtls_sha256_init(sha_ctx(ctx_));
  // Starting SHA-256 (not SHA-224) cannot fail; a failure would surface at finish().
  started_ = mbedtls_sha256_starts(sha_ctx(ctx_), 0) == 0;
}

Sha256::~Sha256() {
  mbedtls_sha256_free(sha_ctx(ctx_));
}

Status Sha256::update(ByteSpan in) {
  if (!started_ || finished_) {
    return CryptoError::kBackend;
  }
  if (in.data == nullptr && in.size != 0) {
    return CryptoError::kBadInputLength;
  }
  return detail::from_ret(mbedtls_sha256_update(sha_ctx(ctx_), in.data, in.size));
}

Status Sha256::finish(Digest* out) {
  if (!started_ || finished_) {
    return CryptoError::kBackend;
  }
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  finished_ = true;
  return detail::from_ret(mbedtls_sha256_finish(sha_ctx(ctx_), out->data()));
}

Status hmac_sha256(ByteSpan key, ByteSpan msg, Digest* out) {
  if (out == nullptr || !valid(key) || !valid(msg)) {
    return CryptoError::kBadInputLength;
  }
  return detail::from_ret(
      mbedtls_md_hmac(sha256_info(), key.data, key.size, msg.data, msg.size, out->data()));
}

Status hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, MutByteSpan okm) {
  if (okm.data == nullptr || okm.size == 0 || okm.size > 255 * kSha256Size || !valid(salt) ||
      !valid(ikm) || !valid(info)) {
    return CryptoError::kBadInputLength;
  }
  return detail::from_ret(mbedtls_hkdf(sha256_info(), salt.data, salt.size, ikm.data, ikm.size,
                                       info.data, info.size, okm.data, okm.size));
}

}  // namespace locus::crypto
