// Constant-time comparison and zeroisation over mbed TLS's hardened primitives.
#include "locus/crypto/ct.h"

extern "C" {  // this mbed TLS header has no C++ guard
#include <mbedtls/constant_time.h>
}
#include <mbedtls/platform_util.h>

namespace locus::crypto {

bool ct_equal(ByteSpan a, ByteSpan b) {
  // Lengths are public (they are protocol constants); only contents are compared in
  // constant time.
  if (a.size != b.size) {
    return false;
  }
  if (a.size == 0) {
    return true;
  }
  if (a.data == nullptr || b.data == nullptr) {
    return false;
  }
  return mbedtls_ct_memcmp(a.data, b.data, a.size) == 0;
}

void zeroize(void* p, size_t n) {
  if (p == nullptr || n == 0) {
    return;
  }
  mbedtls_platform_zeroize(p, n);
}

}  // namespace locus::crypto
