// Private to crypto/src: error mapping from mbed TLS and the blinding RNG used where the
// public API has no DRBG parameter. Never included from public headers.
#pragma once

#include <mbedtls/hmac_drbg.h>

#include "locus/crypto/errors.h"
#include "locus/crypto/x509.h"
#include "locus/span.h"

namespace locus::crypto::detail {

// Maps an mbed TLS return code (< 0) to a CryptoError with an explicit switch.
CryptoError map_error(int mbedtls_ret);
// Same for the X.509 layer (mbed TLS X.509/PK/ASN.1 codes, possibly high+low combined).
X509Error map_x509_error(int mbedtls_ret);

inline Status from_ret(int ret) {
  return ret == 0 ? Status::Ok() : Status(map_error(ret));
}

// Side-channel blinding randomness for mbed TLS operations that demand an f_rng even
// though the result is deterministic (ecp_mul for public keys and ECDH, the blinding of
// RFC 6979 signatures, X.509 signing). It is an HMAC_DRBG seeded from the secret inputs and
// a domain label, the same construction mbed TLS 2.x used internally: the blinding values
// are unpredictable to anyone without the secret. Use Drbg where real entropy is available.
class BlindRng {
 public:
  BlindRng(ByteSpan secret, ByteSpan context);
  ~BlindRng();
  BlindRng(const BlindRng&) = delete;
  BlindRng& operator=(const BlindRng&) = delete;
  Status status() const { return status_; }
  static int rng(void* self, unsigned char* out, size_t len);

 private:
  mbedtls_hmac_drbg_context ctx_{};
  Status status_;
};

}  // namespace locus::crypto::detail
