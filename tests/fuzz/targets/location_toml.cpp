// Fuzz target location_toml: the location policy TOML (zones, forbidden regions, required
// landmarks, f, margins; GeoJSON inline or by file) as `locus verifier explain` reads it.
// GeoJSON files are resolved against a folder that does not exist, so a reference must fail
// cleanly. Invariants: an accepted policy has f >= 0 and finite, non-negative margins.
// Two APIs: location::parse_policy_toml (location.h), and, once the one policy parser serves
// it (locus/location/geojson.h exists), verifier::parse_location_policy.
#include <cmath>
#include <string>

#include "fuzz_targets.h"
#if __has_include("locus/location/geojson.h")
#include "locus/verifier/policy.h"
#define LOCUS_FUZZ_LOCATION_POLICY_VERIFIER 1
#else
#include "locus/location/location.h"
#define LOCUS_FUZZ_LOCATION_POLICY_VERIFIER 0
#endif

using namespace locus;

extern "C" int locus_fuzz_location_toml(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
#if LOCUS_FUZZ_LOCATION_POLICY_VERIFIER
  auto r = verifier::parse_location_policy(text, "/nonexistent/location.toml");
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  const verifier::SitePolicy& p = r.value();
  LOCUS_FUZZ_CHECK(p.f >= 0 && std::isfinite(p.margin_km) && p.margin_km >= 0 &&
                   std::isfinite(p.margin_fraction) && p.margin_fraction >= 0);
#else
  location::LocationPolicy p;
  const std::string why = location::parse_policy_toml(text, "/nonexistent", &p);
  if (!why.empty()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(p.f >= 0 && std::isfinite(p.margin_km) && p.margin_km >= 0 &&
                   std::isfinite(p.margin_fraction) && p.margin_fraction >= 0);
#endif
  return 0;
}
