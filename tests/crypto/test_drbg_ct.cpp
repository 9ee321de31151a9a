// Unit tests of locus/crypto/drbg.h, ct.h and the error enums.
#include "locus/crypto/ct.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

// A fake entropy source: counts calls, returns a fixed pattern, or fails on demand.
struct FakeEntropy {
  int calls = 0;
  bool fail = false;
  uint8_t fill = 0x5a;
};
int fake_entropy(void* ctx, uint8_t* out, size_t len) {
  auto* f = static_cast<FakeEntropy*>(ctx);
  ++f->calls;
  if (f->fail) return -1;
  memset(out, f->fill, len);
  return 0;
}

// An unseeded DRBG refuses to generate and its rng adaptor fails; p256_generate_key fails too.
void drbg_unseeded_refuses(void**) {
  Drbg d;
  assert_false(d.seeded());
  uint8_t out[16];
  ASSERT_ERR(d.generate(out), CryptoError::kDrbgNotSeeded);
  assert_int_not_equal(Drbg::rng(&d, out, sizeof(out)), 0);
  P256PrivateKey k;
  ASSERT_ERR(p256_generate_key(d, &k), CryptoError::kDrbgNotSeeded);
}

// A failing entropy source makes seeding fail with kEntropyFailed and leaves it unseeded.
void drbg_failing_entropy(void**) {
  Drbg d;
  FakeEntropy e;
  e.fail = true;
  ASSERT_ERR(d.seed(fake_entropy, &e, ByteSpan()), CryptoError::kEntropyFailed);
  assert_false(d.seeded());
  assert_true(e.calls >= 1);
  ASSERT_ERR(d.seed(nullptr, nullptr, ByteSpan()), CryptoError::kEntropyFailed);
}

// Same entropy + personalization give the same stream; a different personalization a
// different one; successive outputs differ; large requests (> 1024 bytes) are served.
void drbg_seeding_and_output(void**) {
  FakeEntropy e1, e2;
  Drbg a, b, c;
  const uint8_t p1[] = {'p', '1'};
  const uint8_t p2[] = {'p', '2'};
  ASSERT_OK(a.seed(fake_entropy, &e1, p1));
  ASSERT_OK(b.seed(fake_entropy, &e2, p1));
  ASSERT_OK(c.seed(fake_entropy, &e2, p2));
  assert_true(a.seeded());
  uint8_t x[32], y[32], z[32], x2[32];
  ASSERT_OK(a.generate(x));
  ASSERT_OK(b.generate(y));
  ASSERT_OK(c.generate(z));
  ASSERT_OK(a.generate(x2));
  assert_memory_equal(x, y, 32);
  assert_memory_not_equal(x, z, 32);
  assert_memory_not_equal(x, x2, 32);
  std::vector<uint8_t> big(3000);
  ASSERT_OK(a.generate(MutByteSpan(big.data(), big.size())));
  assert_int_equal(Drbg::rng(&a, big.data(), 100), 0);
  P256PrivateKey k;
  ASSERT_OK(p256_generate_key(a, &k));
  P256PublicKey pub;
  ASSERT_OK(p256_public_key(k, &pub));
}

// ct_equal: equal contents and length -> true; any differing byte or length -> false.
void ct_equal_cases(void**) {
  const uint8_t a[4] = {1, 2, 3, 4};
  const uint8_t b[4] = {1, 2, 3, 4};
  const uint8_t c[4] = {1, 2, 3, 5};
  const uint8_t d[4] = {0, 2, 3, 4};
  assert_true(ct_equal(a, b));
  assert_false(ct_equal(a, c));
  assert_false(ct_equal(a, d));
  assert_false(ct_equal(ByteSpan(a, 4), ByteSpan(b, 3)));
  assert_true(ct_equal(ByteSpan(), ByteSpan()));
  assert_false(ct_equal(ByteSpan(a, 4), ByteSpan(nullptr, 4)));
}

// zeroize clears memory; P256PrivateKey's destructor zeroises its scalar.
void zeroize_clears(void**) {
  uint8_t buf[16];
  memset(buf, 0xff, sizeof(buf));
  zeroize(buf, sizeof(buf));
  for (uint8_t v : buf) assert_int_equal(v, 0);
  alignas(P256PrivateKey) unsigned char storage[sizeof(P256PrivateKey)];
  auto* k = new (storage) P256PrivateKey();
  memset(k->d.data(), 0xab, 32);
  k->~P256PrivateKey();
  // Reading the bytes after destruction is what this test is about: the storage is ours.
  for (size_t i = 0; i < 32; ++i) assert_int_equal(storage[i], 0);
}

// Error codes: unique, non-zero, carry their module, and have a string.
void error_codes_unique(void**) {
  uint16_t seen[64];
  size_t n = 0;
  for (uint8_t i = 1; i <= 10; ++i) {
    Status s(static_cast<CryptoError>(i));
    assert_int_equal(static_cast<int>(s.module()), static_cast<int>(Module::kCrypto));
    assert_string_not_equal(to_string(static_cast<CryptoError>(i)), "unknown crypto error");
    seen[n++] = s.code();
  }
  for (uint8_t i = 1; i <= 14; ++i) {
    Status s(static_cast<X509Error>(i));
    assert_int_equal(static_cast<int>(s.module()), static_cast<int>(Module::kX509));
    assert_string_not_equal(to_string(static_cast<X509Error>(i)), "unknown X.509 error");
    seen[n++] = s.code();
  }
  for (size_t i = 0; i < n; ++i) {
    assert_false(Status::FromCode(seen[i]).ok());
    for (size_t j = i + 1; j < n; ++j) assert_int_not_equal(seen[i], seen[j]);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(drbg_unseeded_refuses),   cmocka_unit_test(drbg_failing_entropy),
      cmocka_unit_test(drbg_seeding_and_output), cmocka_unit_test(ct_equal_cases),
      cmocka_unit_test(zeroize_clears),          cmocka_unit_test(error_codes_unique),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
