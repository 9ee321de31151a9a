// Deterministic mutation fuzzing of the TPM decoders of untrusted input (label fuzz):
// parse_attest, parse_ecdsa_signature and quote_from_json get 20000 mutations each of
// well-formed seeds (bit flips, byte sets, truncations, insertions, length-field edits).
// What must happen: no crash, no sanitizer report, and every accepted TPMS_ATTEST re-checks
// its own invariants (magic, type, bounded sizes).
#include <cstring>
#include <string>
#include <vector>

#include "locus/tpm/quote.h"
#include "locus/tpm/quote_json.h"
#include "locus_test/mutate.h"

// clang-format off
#include "locus_test/cmocka.h"
// clang-format on

using namespace locus;
using namespace locus::tpm;
using locus_test::mutated;
using locus_test::Rng;

namespace {

std::vector<uint8_t> seed_attest() {
  std::vector<uint8_t> a = {0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0x00, 0x22, 0x00, 0x0b};
  a.insert(a.end(), 32, 0x11);
  a.push_back(0x00);
  a.push_back(0x20);
  a.insert(a.end(), 32, 0x22);
  a.insert(a.end(), 8, 0x01);                      // clock
  a.insert(a.end(), {0, 0, 0, 1, 0, 0, 0, 0, 1});  // reset, restart, safe
  a.insert(a.end(), 8, 0x02);                      // firmwareVersion
  a.insert(a.end(), {0, 0, 0, 1, 0x00, 0x0b, 3, 0x83, 0, 0, 0x00, 0x20});
  a.insert(a.end(), 32, 0x33);
  return a;
}

// 20000 mutations of a valid TPMS_ATTEST: each parse either fails or yields a quote whose
// fields respect the bounds.
void fuzz_parse_attest(void**) {
  Rng r;
  auto seed = seed_attest();
  assert_true(parse_attest(ByteSpan(seed.data(), seed.size())).ok());  // control
  for (int i = 0; i < 20000; ++i) {
    auto m = mutated(seed, r);
    auto p = parse_attest(ByteSpan(m.data(), m.size()));
    if (p.ok()) {
      assert_int_equal(p->magic, kTpmGeneratedValue);
      assert_int_equal(p->type, kTpmStAttestQuote);
      assert_true(p->qualified_signer.size() <= 66 && p->extra_data.size() <= 66 &&
                  p->pcr_digest.size() <= 64);
      for (const auto& s : p->pcr_select) {
        for (uint32_t idx : s.pcrs) assert_true(idx < 32);
      }
    }
  }
}

// 20000 mutations of a TPMT_SIGNATURE and of the quote JSON object: no crash.
void fuzz_signature_and_json(void**) {
  Rng r;
  std::vector<uint8_t> sig = {0x00, 0x18, 0x00, 0x0b, 0x00, 0x20};
  sig.insert(sig.end(), 32, 0xaa);
  sig.insert(sig.end(), {0x00, 0x20});
  sig.insert(sig.end(), 32, 0xbb);
  assert_true(parse_ecdsa_signature(ByteSpan(sig.data(), sig.size())).ok());
  const std::string js = R"({"quote":"/1RDR4AY","signature":"ABgACw==","pcrs":{"sha256":{"0":")" +
                         std::string(64, 'a') + R"("}},"ak_name":"000b"})";
  assert_true(quote_from_json(js).ok());
  std::vector<uint8_t> jseed(js.begin(), js.end());
  for (int i = 0; i < 20000; ++i) {
    auto m = mutated(sig, r);
    (void)parse_ecdsa_signature(ByteSpan(m.data(), m.size()));
    auto j = mutated(jseed, r);
    (void)quote_from_json(std::string(j.begin(), j.end()));
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(fuzz_parse_attest),
                                     cmocka_unit_test(fuzz_signature_and_json)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
