// HMAC_DRBG (SP 800-90A) over SHA-256 with a caller-supplied entropy source.
#include "locus/crypto/drbg.h"

#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>

#include "mbedtls_glue.h"

namespace locus::crypto {

static_assert(sizeof(mbedtls_hmac_drbg_context) <= 512, "Drbg::ctx_ too small for mbed TLS");
static_assert(alignof(mbedtls_hmac_drbg_context) <= 8, "Drbg::ctx_ under-aligned");

namespace {
mbedtls_hmac_drbg_context* drbg_ctx(uint8_t* p) {
  return reinterpret_cast<mbedtls_hmac_drbg_context*>(p);
}
}  // namespace

Drbg::Drbg() {
  mbedtls_hmac_drbg_init(drbg_ctx(ctx_));
}

Drbg::~Drbg() {
  mbedtls_hmac_drbg_free(drbg_ctx(ctx_));
}  // zeroises the state

Status Drbg::seed(EntropyFn entropy, void* entropy_ctx, ByteSpan personalization) {
  if (entropy == nullptr) {
    return CryptoError::kEntropyFailed;
  }
  // Re-seeding from scratch: drop any previous state first (fail closed on error).
  seeded_ = false;
  mbedtls_hmac_drbg_free(drbg_ctx(ctx_));
  mbedtls_hmac_drbg_init(drbg_ctx(ctx_));
  const int ret =
      mbedtls_hmac_drbg_seed(drbg_ctx(ctx_), mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), entropy,
                             entropy_ctx, personalization.data, personalization.size);
  if (ret != 0) {
    mbedtls_hmac_drbg_free(drbg_ctx(ctx_));
    mbedtls_hmac_drbg_init(drbg_ctx(ctx_));
    return detail::map_error(ret);
  }
  seeded_ = true;
  return Status::Ok();
}

Status Drbg::generate(MutByteSpan out) {
  if (!seeded_) {
    return CryptoError::kDrbgNotSeeded;
  }
  if (out.data == nullptr && out.size != 0) {
    return CryptoError::kBadInputLength;
  }
  size_t done = 0;
  while (done < out.size) {  // bounded: each round makes progress of >= 1 byte
    size_t n = out.size - done;
    if (n > MBEDTLS_HMAC_DRBG_MAX_REQUEST) {
      n = MBEDTLS_HMAC_DRBG_MAX_REQUEST;
    }
    const int ret = mbedtls_hmac_drbg_random(drbg_ctx(ctx_), out.data + done, n);
    if (ret != 0) {
      return detail::map_error(ret);
    }
    done += n;
  }
  return Status::Ok();
}

int Drbg::rng(void* drbg, unsigned char* out, size_t len) {
  if (drbg == nullptr) {
    return MBEDTLS_ERR_HMAC_DRBG_ENTROPY_SOURCE_FAILED;
  }
  const Status s = static_cast<Drbg*>(drbg)->generate(MutByteSpan(out, len));
  return s.ok() ? 0 : MBEDTLS_ERR_HMAC_DRBG_ENTROPY_SOURCE_FAILED;
}

}  // namespace locus::crypto
