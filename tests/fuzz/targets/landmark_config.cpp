// Fuzz target landmark_config: the landmark's TOML configuration through
// landmark::parse_config_toml (key file paths resolve against a folder that does not exist).
// Invariants: an accepted config has an id of 1..64 characters, a position on Earth and a
// timeout inside the documented 100..600000 ms.
#include <string>

#include "fuzz_targets.h"
#include "locus/landmark/server.h"

using namespace locus;

extern "C" int locus_fuzz_landmark_config(const uint8_t* data, size_t size) {
  landmark::LandmarkConfig c;
  if (!landmark::parse_config_toml(std::string(reinterpret_cast<const char*>(data), size),
                                   "/nonexistent", &c)
           .ok())
    return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(!c.id.empty() && c.id.size() <= 64);
  LOCUS_FUZZ_CHECK(c.lat_deg >= -90 && c.lat_deg <= 90 && c.lon_deg >= -180 && c.lon_deg <= 180);
  LOCUS_FUZZ_CHECK(c.timeout_ms >= 100 && c.timeout_ms <= 600000);
  return 0;
}
