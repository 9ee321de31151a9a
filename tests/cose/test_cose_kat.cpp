// Known-answer tests for COSE_Sign1 ES256 against the published RFC 9052 example
// (Appendix C.2.1, "Single ECDSA Signature", identical to cose-wg/Examples sign-pass-03),
// signed with key '11' of Appendix C.7.1.
#include <stdint.h>
#include <string.h>

#include <vector>

#include "cose_test_util.h"
#include "locus/crypto/cose.h"
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::Status;
using locus::cose::CoseError;
using locus::cose::Sign1View;
using locus_test::hex;

namespace {

// RFC 9052 C.2.1: 18([h'a10126', {4: '11'}, 'This is the content.', sig]).
const char* const kC21 =
    "d28443a10126a10442313154546869732069732074686520636f6e74656e742e5840"
    "8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e"
    "2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36";
// RFC 9052 C.7.1, key '11' (P-256): d, x, y.
const char* const kKey11D = "57c92077664146e876760c9520d054aa93c3afb04e306705db6090308507b4d3";
const char* const kKey11X = "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff";
const char* const kKey11Y = "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e";

locus::crypto::P256PublicKey key11_pub() {
  locus::crypto::P256PublicKey p;
  std::vector<uint8_t> q = hex(std::string("04") + kKey11X + kKey11Y);
  memcpy(p.q.data(), q.data(), 65);
  return p;
}

// The published message decodes (tag 18 present) to exactly its published parts, and its
// signature verifies with the published public key.
void test_rfc9052_c21_verifies(void** /*state*/) {
  const std::vector<uint8_t> msg = hex(kC21);
  Sign1View v;
  ASSERT_OK(locus::cose::sign1_decode(msg, &v));
  assert_int_equal(v.alg, -7);
  const std::vector<uint8_t> prot = hex("a10126");
  assert_int_equal(v.protected_bytes.size, 3);
  assert_memory_equal(v.protected_bytes.data, prot.data(), 3);
  assert_int_equal(v.kid.size, 2);
  assert_memory_equal(v.kid.data, "11", 2);
  assert_int_equal(v.payload.size, 20);
  assert_memory_equal(v.payload.data, "This is the content.", 20);
  assert_int_equal(v.signature.size, 64);
  assert_int_equal(v.x5chain_len, 0);
  ASSERT_OK(locus::cose::sign1_verify_es256(v, key11_pub()));
  // With an external_aad the Sig_structure changes, so the same message must not verify.
  const uint8_t aad[1] = {0};
  ASSERT_ERR(locus::cose::sign1_verify_es256(v, key11_pub(), ByteSpan(aad, 1)),
             CoseError::kBadSignature);
}

// The same message without its tag (the untagged form COSE also allows) verifies when the
// caller does not require the tag, and is refused with kMissingTag when it does.
void test_rfc9052_c21_untagged(void** /*state*/) {
  std::vector<uint8_t> msg = hex(kC21);
  msg.erase(msg.begin());  // drop 0xd2
  Sign1View v;
  ASSERT_ERR(locus::cose::sign1_decode(msg, &v, true), CoseError::kMissingTag);
  ASSERT_OK(locus::cose::sign1_decode(msg, &v, false));
  ASSERT_OK(locus::cose::sign1_verify_es256(v, key11_pub()));
}

// Key '11''s private scalar gives the published public point, and our signer with that key
// produces a message (RFC 6979, so deterministic) that verifies with the published point and
// carries the same protected header and kid bytes as the RFC example.
void test_sign_with_key11(void** /*state*/) {
  locus::crypto::P256PrivateKey d;
  std::vector<uint8_t> dv = hex(kKey11D);
  memcpy(d.d.data(), dv.data(), 32);
  locus::crypto::P256PublicKey pub;
  ASSERT_OK(locus::crypto::p256_public_key(d, &pub));
  const locus::crypto::P256PublicKey want = key11_pub();
  assert_memory_equal(pub.q.data(), want.q.data(), 65);

  const char* payload = "This is the content.";
  locus::cose::Sign1Options opt;
  opt.kid = ByteSpan(reinterpret_cast<const uint8_t*>("11"), 2);
  uint8_t out[256];
  size_t n = 0;
  ASSERT_OK(locus::cose::sign1_es256(d, ByteSpan(reinterpret_cast<const uint8_t*>(payload), 20),
                                     opt, locus::MutByteSpan(out), &n));
  // Everything but the signature is byte-identical to the RFC example.
  const std::vector<uint8_t> rfc = hex(kC21);
  assert_int_equal(n, rfc.size());
  assert_memory_equal(out, rfc.data(), rfc.size() - 64);
  Sign1View v;
  ASSERT_OK(locus::cose::sign1_decode(ByteSpan(out, n), &v));
  ASSERT_OK(locus::cose::sign1_verify_es256(v, want));
  // Deterministic: signing again gives the same bytes.
  uint8_t out2[256];
  size_t n2 = 0;
  ASSERT_OK(locus::cose::sign1_es256(d, ByteSpan(reinterpret_cast<const uint8_t*>(payload), 20),
                                     opt, locus::MutByteSpan(out2), &n2));
  assert_int_equal(n2, n);
  assert_memory_equal(out, out2, n);
}

// The independently built Sig_structure for C.2.1 has the layout of RFC 9052 §4.4 and the
// published signature verifies over it with the plain (non-incremental) ECDSA API, which
// cross-checks the incremental hashing in cose.cpp.
void test_sig_structure_layout(void** /*state*/) {
  const std::vector<uint8_t> tbs = locus_test::sig_structure(
      hex("a10126"), {},
      std::vector<uint8_t>(reinterpret_cast<const uint8_t*>("This is the content."),
                           reinterpret_cast<const uint8_t*>("This is the content.") + 20));
  const std::vector<uint8_t> want =
      hex("846a5369676e61747572653143a101264054546869732069732074686520636f6e74656e742e");
  assert_int_equal(tbs.size(), want.size());
  assert_memory_equal(tbs.data(), want.data(), want.size());
  const std::vector<uint8_t> msg = hex(kC21);
  locus::crypto::P256Signature sig;
  memcpy(sig.rs.data(), msg.data() + msg.size() - 64, 64);
  ASSERT_OK(locus::crypto::ecdsa_verify(key11_pub(), tbs, sig));
}

// Every error code has a distinct description and the COSE module.
void test_error_strings(void** /*state*/) {
  for (unsigned a = 1; a <= 9; ++a) {
    const char* s = locus::cose::to_string(static_cast<CoseError>(a));
    assert_string_not_equal(s, "unknown COSE error");
    for (unsigned b = 1; b < a; ++b) {
      assert_string_not_equal(s, locus::cose::to_string(static_cast<CoseError>(b)));
    }
  }
  assert_string_equal(locus::cose::to_string(static_cast<CoseError>(77)), "unknown COSE error");
  assert_int_equal(static_cast<int>(Status(CoseError::kMalformed).module()),
                   static_cast<int>(locus::Module::kCose));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc9052_c21_verifies), cmocka_unit_test(test_rfc9052_c21_untagged),
      cmocka_unit_test(test_sign_with_key11),      cmocka_unit_test(test_sig_structure_layout),
      cmocka_unit_test(test_error_strings),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
