// Shared by the landmark tests: emulated South-East Asian geography. Distances are great
// circles between city coordinates; delays are those distances at fibre speed (0.66 c).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "locus/location/geo.h"
#include "locus/location/location.h"

namespace locus::test {

struct City {
  const char* name;
  double lat, lon;
};
// Landmarks and places.
constexpr City kSingapore{"sg-1", 1.3521, 103.8198};
constexpr City kSingapore2{"sg-2", 1.2966, 103.7764};  // a second Singapore operator
constexpr City kKualaLumpur{"kl-1", 3.1390, 101.6869};
constexpr City kJakarta{"jkt-1", -6.2088, 106.8456};
constexpr City kHongKong{"hk-1", 22.3193, 114.1694};
constexpr City kSgDatacenter{"sg-dc", 1.3337, 103.7437};  // the board's site (Jurong)
constexpr City kShenzhen{"shenzhen", 22.5431, 114.0579};

inline double km(const City& a, const City& b) {
  return location::distance_km(location::GeoPoint{a.lat, a.lon}, location::GeoPoint{b.lat, b.lon});
}
// Round-trip time over fibre (0.66 c) for a one-way great-circle distance, in ns.
inline int64_t fibre_rtt_ns(double one_way_km) {
  return int64_t(2.0 * one_way_km / (location::kLightKmPerNs * 0.66));
}

// Policy: approved zone = a 60 km disc around the site; forbidden = 300 km around Shenzhen.
inline location::LocationPolicy sg_policy(int f) {
  location::LocationPolicy p;
  location::Zone z;
  z.disc = {"sg-dc", {kSgDatacenter.lat, kSgDatacenter.lon}, 60.0};
  p.zones.push_back(z);
  location::Zone fz;
  fz.disc = {"prc-south", {kShenzhen.lat, kShenzhen.lon}, 300.0};
  p.forbidden.push_back(fz);
  p.f = f;
  return p;
}

}  // namespace locus::test
