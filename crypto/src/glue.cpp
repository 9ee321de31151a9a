// Blinding RNG for deterministic operations (see mbedtls_glue.h).
#include <mbedtls/md.h>

#include "mbedtls_glue.h"

namespace locus::crypto::detail {

BlindRng::BlindRng(ByteSpan secret, ByteSpan context) {
  mbedtls_hmac_drbg_init(&ctx_);
  int ret = mbedtls_hmac_drbg_seed_buf(&ctx_, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                                       secret.data, secret.size);
  if (ret == 0 && context.size != 0) {
    ret = mbedtls_hmac_drbg_update(&ctx_, context.data, context.size);
  }
  status_ = ret == 0 ? Status::Ok() : Status(map_error(ret));
}

BlindRng::~BlindRng() {
  mbedtls_hmac_drbg_free(&ctx_);
}

int BlindRng::rng(void* self, unsigned char* out, size_t len) {
  auto* b = static_cast<BlindRng*>(self);
  if (b == nullptr || !b->status_.ok()) {
    return MBEDTLS_ERR_HMAC_DRBG_ENTROPY_SOURCE_FAILED;
  }
  return mbedtls_hmac_drbg_random(&b->ctx_, out, len);
}

}  // namespace locus::crypto::detail
