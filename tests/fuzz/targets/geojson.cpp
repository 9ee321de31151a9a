// Fuzz target geojson: GeoJSON zone files (Polygon, MultiPolygon, Feature, FeatureCollection)
// through location::parse_geojson. Invariants: every accepted zone is a polygon zone with
// finite coordinates on Earth (lat in [-90, 90], lon in [-180, 180]) and at least one ring of
// 3 or more positions; a refused file adds no zone (no partial output).
// Two APIs: parse_geojson(text, name, &zones) -> error text (geo.h), and, once RFC 7946 zones
// live in locus/location/geojson.h, parse_geojson(text, name) -> HostResult<zones>.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_targets.h"
#include "locus/location/geo.h"
#if __has_include("locus/location/geojson.h")
#include "locus/location/geojson.h"
#define LOCUS_FUZZ_GEOJSON_RESULT 1
#else
#define LOCUS_FUZZ_GEOJSON_RESULT 0
#endif

using namespace locus;

namespace {

bool on_earth(const location::GeoPoint& p) {
  return std::isfinite(p.lat_deg) && std::isfinite(p.lon_deg) && p.lat_deg >= -90 &&
         p.lat_deg <= 90 && p.lon_deg >= -180 && p.lon_deg <= 180;
}

template <typename Ring>
void check_rings(const std::vector<Ring>& rings) {
  LOCUS_FUZZ_CHECK(!rings.empty() && rings[0].size() >= 3);
  for (const auto& ring : rings) {
    for (const location::GeoPoint& p : ring) LOCUS_FUZZ_CHECK(on_earth(p));
  }
}

}  // namespace

extern "C" int locus_fuzz_geojson(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<location::Zone> zones;
#if LOCUS_FUZZ_GEOJSON_RESULT
  auto r = location::parse_geojson(text, "fuzz");
  if (!r.ok()) return 0;
  zones = r.take();
#else
  const std::string why = location::parse_geojson(text, "fuzz", &zones);
  if (!why.empty()) {
    LOCUS_FUZZ_CHECK(zones.empty());
    return 0;
  }
#endif
  LOCUS_FUZZ_ACCEPTED();
  for (const location::Zone& z : zones) {
    LOCUS_FUZZ_CHECK(z.kind == location::Zone::Kind::kPolygon);
#if LOCUS_FUZZ_GEOJSON_RESULT
    LOCUS_FUZZ_CHECK(!z.polygon.parts.empty());
    for (const auto& part : z.polygon.parts) check_rings(part.rings);
#else
    LOCUS_FUZZ_CHECK(location::validate_polygon(z.polygon).empty());
    check_rings(z.polygon.rings);
#endif
  }
  return 0;
}
