// locus/crypto/hash.h: SHA-256, HMAC-SHA256 and HKDF-SHA256 (RFC 6234, 2104, 5869).
#pragma once

#include <array>

#include "locus/crypto/errors.h"
#include "locus/span.h"

namespace locus::crypto {

constexpr size_t kSha256Size = 32;
using Digest = std::array<uint8_t, kSha256Size>;

Status sha256(ByteSpan in, Digest* out);

// Incremental SHA-256. The context is opaque storage sized for mbed TLS's context.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Status update(ByteSpan in);
  Status finish(Digest* out);  // the object must not be updated afterwards

 private:
  alignas(8) uint8_t ctx_[128] = {};  // mbedtls_sha256_context (static_assert in hash.cpp)
  bool started_ = false;
  bool finished_ = false;
};

Status hmac_sha256(ByteSpan key, ByteSpan msg, Digest* out);

// HKDF-SHA256 (extract then expand) into okm; okm.size <= 255 * 32.
Status hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, MutByteSpan okm);

}  // namespace locus::crypto
