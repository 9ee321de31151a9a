// Fuzz target tpm_quote_json: the "tpm" object of POST /v1/attest as JSON text, through
// tpm::quote_from_json. Invariants: an accepted bundle has its sizes within the documented
// bounds and PCRs in strictly ascending index 0..23; quote_to_json of it parses back to the
// same bundle, and serialising that again gives the same text (a fixed point).
#include <string>

#include "fuzz_targets.h"
#include "locus/tpm/quote_json.h"

using namespace locus;

namespace {
bool same(const tpm::QuoteBundle& a, const tpm::QuoteBundle& b) {
  if (a.attest != b.attest || a.signature != b.signature || a.ak_name != b.ak_name ||
      a.pcrs.size() != b.pcrs.size())
    return false;
  for (size_t i = 0; i < a.pcrs.size(); ++i) {
    if (a.pcrs[i].index != b.pcrs[i].index || a.pcrs[i].value != b.pcrs[i].value) return false;
  }
  return true;
}
}  // namespace

extern "C" int locus_fuzz_tpm_quote_json(const uint8_t* data, size_t size) {
  auto r = tpm::quote_from_json(std::string(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  const tpm::QuoteBundle& q = r.value();
  LOCUS_FUZZ_CHECK(q.attest.size() <= 1024 && q.signature.size() <= 512 && q.ak_name.size() <= 66);
  for (size_t i = 0; i < q.pcrs.size(); ++i) {
    LOCUS_FUZZ_CHECK(q.pcrs[i].index <= tpm::kMaxPcrIndex &&
                     (i == 0 || q.pcrs[i].index > q.pcrs[i - 1].index));
  }
  const std::string text = tpm::quote_to_json(q);
  auto again = tpm::quote_from_json(text);
  LOCUS_FUZZ_CHECK(again.ok() && same(again.value(), q));
  LOCUS_FUZZ_CHECK(tpm::quote_to_json(again.value()) == text);
  return 0;
}
