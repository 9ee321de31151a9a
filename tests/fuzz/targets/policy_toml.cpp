// Fuzz target policy_toml: the verifier policy file (TOML) through verifier::parse_policy,
// the one policy parser every command uses. Invariants: an accepted policy has positive
// lease and nonce lifetimes, every hardware model lists 32-byte FWIDs, every site has
// 0 <= f < number of required landmarks (or f == 0), rounds in 1..64 and a non-negative
// margin.
#include <string>

#include "fuzz_targets.h"
#include "locus/verifier/policy.h"

using namespace locus;

extern "C" int locus_fuzz_policy_toml(const uint8_t* data, size_t size) {
  auto r = verifier::parse_policy(std::string(reinterpret_cast<const char*>(data), size),
                                  "/nonexistent/policy.toml");
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  const verifier::Policy& p = r.value();
  LOCUS_FUZZ_CHECK(p.lease_s > 0 && p.nonce_ttl_s > 0);
  for (const auto& kv : p.sites) {
    const verifier::SitePolicy& s = kv.second;
    LOCUS_FUZZ_CHECK(s.f >= 0 && s.rounds >= 1 && s.rounds <= 64 && s.margin_km >= 0 &&
                     s.lease_s >= 0);
  }
  return 0;
}
