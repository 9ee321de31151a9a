// locus/crypto/drbg.h: HMAC_DRBG (NIST SP 800-90A) over SHA-256, seeded from an entropy
// source that the caller provides (the board's TRNG, /dev/urandom on the host).
#pragma once

#include "locus/crypto/errors.h"
#include "locus/span.h"

namespace locus::crypto {

// Fills out[0..len) with entropy; returns 0 on success, non-zero on failure.
using EntropyFn = int (*)(void* ctx, uint8_t* out, size_t len);

class Drbg {
 public:
  Drbg();
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;

  Status seed(EntropyFn entropy, void* entropy_ctx, ByteSpan personalization);
  Status generate(MutByteSpan out);
  bool seeded() const { return seeded_; }

  // mbed TLS f_rng adaptor: pass Drbg::rng and a Drbg* as p_rng.
  static int rng(void* drbg, unsigned char* out, size_t len);

 private:
  alignas(8) uint8_t ctx_[512] = {};
  bool seeded_ = false;
};

}  // namespace locus::crypto
