// Unit tests of the firmware's mbed TLS arena (locus/crypto/arena.h), run on the host by
// installing the arena as mbed TLS's allocator. Also measures the peak arena use of the
// operations the firmware performs and checks it fits kFwCryptoArenaSize.
#include <mbedtls/platform.h>
#include <stdio.h>

#include "locus/crypto/arena.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

Arena* g_arena = nullptr;
void* arena_calloc(size_t n, size_t s) {
  return g_arena->calloc(n, s);
}
void arena_free(void* p) {
  g_arena->free(p);
}

struct Installed {
  explicit Installed(Arena* a) {
    g_arena = a;
    mbedtls_platform_set_calloc_free(arena_calloc, arena_free);
  }
  ~Installed() {
    mbedtls_platform_set_calloc_free(calloc, free);
    g_arena = nullptr;
  }
};

// Allocations are zeroed and 8-byte aligned; freeing everything returns the arena to one
// block that can serve a request of almost its whole size (adjacent free blocks merge).
void arena_alloc_free_merge(void**) {
  alignas(8) static uint8_t mem[1024];
  Arena a;
  a.init(mem, sizeof(mem));
  void* p[10];
  for (int i = 0; i < 10; ++i) {
    p[i] = a.calloc(1, 40);
    assert_non_null(p[i]);
    assert_int_equal(reinterpret_cast<uintptr_t>(p[i]) % 8, 0);
    for (int j = 0; j < 40; ++j) assert_int_equal(static_cast<uint8_t*>(p[i])[j], 0);
    memset(p[i], 0xee, 40);
  }
  for (int i : {1, 3, 0, 2, 9, 5, 4, 8, 6, 7}) a.free(p[i]);
  assert_int_equal(a.stats().in_use, 0);
  void* big = a.calloc(1, 1024 - 8);
  assert_non_null(big);
  for (int j = 0; j < 1016; ++j) assert_int_equal(static_cast<uint8_t*>(big)[j], 0);
  a.free(big);
}

// Requests beyond the remaining space, overflowing n*size, and into an uninitialised arena
// return NULL and are counted; freeing a foreign pointer or twice is ignored and counted.
void arena_exhaustion_and_bad_free(void**) {
  alignas(8) static uint8_t mem[256];
  Arena a;
  assert_null(a.calloc(1, 1));  // not initialised yet
  a.init(mem, sizeof(mem));     // init resets the statistics
  assert_null(a.calloc(1, 300));
  assert_null(a.calloc(static_cast<size_t>(-1) / 2, 4));
  void* p = a.calloc(1, 200);
  assert_non_null(p);
  assert_null(a.calloc(1, 100));
  assert_int_equal(a.stats().failures, 3);
  int local = 0;
  a.free(&local);
  a.free(p);
  a.free(p);
  assert_int_equal(a.stats().bad_frees, 2);
  assert_int_equal(a.stats().in_use, 0);
}

// The firmware's operations (derive, public key, sign, verify, ECDH, HKDF, CSR, certificate
// with TcbInfo) all run inside an arena of kFwCryptoArenaSize bytes, leak nothing, and the
// measured peak is printed for docs/crypto.md.
void firmware_ops_fit_arena(void**) {
  static uint8_t mem[kFwCryptoArenaSize];
  Arena a;
  a.init(mem, sizeof(mem));
  Installed inst(&a);
  const uint8_t seed[32] = {9};
  P256PrivateKey dev, alias;
  P256PublicKey dev_pub, alias_pub;
  ASSERT_OK(p256_derive_key(seed, seed, &dev));
  ASSERT_OK(p256_derive_key(seed, ByteSpan(seed, 5), &alias));
  ASSERT_OK(p256_public_key(dev, &dev_pub));
  ASSERT_OK(p256_public_key(alias, &alias_pub));
  const size_t peak_derive = a.stats().peak;
  a.reset_peak();
  P256Signature sig;
  ASSERT_OK(ecdsa_sign(alias, seed, &sig));
  const size_t peak_sign = a.stats().peak;
  a.reset_peak();
  ASSERT_OK(ecdsa_verify(alias_pub, seed, sig));
  const size_t peak_verify = a.stats().peak;
  a.reset_peak();
  std::array<uint8_t, 32> z{};
  ASSERT_OK(ecdh_p256(dev, alias_pub, &z));
  const size_t peak_ecdh = a.stats().peak;
  a.reset_peak();
  uint8_t buf[1024];
  size_t len = 0;
  ASSERT_OK(x509_write_csr(
      dev, "CN=locus DeviceID,O=locus,serialNumber=00112233445566778899aabbccddeeff", buf, &len));
  const size_t peak_csr = a.stats().peak;
  a.reset_peak();
  TcbInfo tcb;
  CertSpec spec;
  spec.subject = "CN=locus Alias,O=locus,serialNumber=00112233445566778899aabbccddeeff";
  spec.issuer = "CN=locus DeviceID,O=locus,serialNumber=00112233445566778899aabbccddeeff";
  const uint8_t serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  spec.serial = serial;
  spec.tcb_info = &tcb;
  ASSERT_OK(x509_issue(spec, alias_pub, dev, buf, &len));
  const size_t peak_issue = a.stats().peak;
  ASSERT_OK(x509_read_tcb_info(ByteSpan(buf, len), &tcb));
  assert_int_equal(a.stats().in_use, 0);  // nothing leaked
  assert_int_equal(a.stats().failures, 0);
  assert_int_equal(a.stats().bad_frees, 0);
  printf(
      "arena peak bytes: derive+pub %zu, sign %zu, verify %zu, ecdh %zu, csr %zu, issue %zu (arena "
      "%zu)\n",
      peak_derive, peak_sign, peak_verify, peak_ecdh, peak_csr, peak_issue, kFwCryptoArenaSize);
}

// With an arena too small for a bignum workspace, signing fails with kOutOfMemory (not a
// crash, not a wrong signature) and frees what it had taken.
void out_of_memory_is_reported(void**) {
  alignas(8) static uint8_t mem[600];
  Arena a;
  a.init(mem, sizeof(mem));
  P256PrivateKey k;
  const uint8_t seed[32] = {3};
  ASSERT_OK(p256_derive_key(seed, seed, &k));  // before installing: uses the heap
  Installed inst(&a);
  P256Signature sig;
  const Status s = ecdsa_sign(k, seed, &sig);
  assert_false(s.ok());
  assert_int_equal(s.code(), Status(CryptoError::kOutOfMemory).code());
  assert_int_equal(a.stats().in_use, 0);
}

// A block header overwritten by an out-of-bounds write (size 0) stops the allocator's walk:
// the request fails instead of looping forever.
void arena_corrupted_header_fails_closed(void**) {
  alignas(8) static uint8_t mem[256];
  Arena a;
  a.init(mem, sizeof(mem));
  uint8_t* p = static_cast<uint8_t*>(a.calloc(1, 16));
  assert_non_null(p);
  memset(p - 8, 0, 8);  // the header just before the block
  assert_null(a.calloc(1, 16));
  assert_int_equal(a.stats().failures, 1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(arena_alloc_free_merge),
      cmocka_unit_test(arena_exhaustion_and_bad_free),
      cmocka_unit_test(arena_corrupted_header_fails_closed),
      cmocka_unit_test(firmware_ops_fit_arena),
      cmocka_unit_test(out_of_memory_is_reported),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
