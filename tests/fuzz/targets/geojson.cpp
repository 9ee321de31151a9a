// Fuzz target geojson: GeoJSON zone files (Polygon, MultiPolygon, Feature, FeatureCollection)
// through location::parse_geojson. Invariants: every accepted zone is a polygon that
// location::validate_polygon accepts, with finite coordinates on Earth
// (lat in [-90, 90], lon in [-180, 180]); a refused file adds no zone (no partial output).
#include <cmath>
#include <string>

#include "fuzz_targets.h"
#include "locus/location/geo.h"

using namespace locus;

extern "C" int locus_fuzz_geojson(const uint8_t* data, size_t size) {
  std::vector<location::Zone> zones;
  const std::string why = location::parse_geojson(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz", &zones);
  if (!why.empty()) {
    LOCUS_FUZZ_CHECK(zones.empty());
    return 0;
  }
  LOCUS_FUZZ_ACCEPTED();
  for (const location::Zone& z : zones) {
    LOCUS_FUZZ_CHECK(z.kind == location::Zone::Kind::kPolygon);
    LOCUS_FUZZ_CHECK(location::validate_polygon(z.polygon).empty());
    for (const auto& ring : z.polygon.rings) {
      for (const location::GeoPoint& p : ring) {
        LOCUS_FUZZ_CHECK(std::isfinite(p.lat_deg) && std::isfinite(p.lon_deg) && p.lat_deg >= -90 &&
                         p.lat_deg <= 90 && p.lon_deg >= -180 && p.lon_deg <= 180);
      }
    }
  }
  return 0;
}
