// geo_verdict: time of one location verdict (location::evaluate: all subsets of n - f discs
// against the approved zone and a forbidden region) for n = 2, 4, 16 landmarks, f = 0, 1, 2,
// and zones that are a disc or a polygon of 20 / 200 vertices (long lon/lat edges, densified).
// Honest configuration around Singapore: landmarks 5..60 km from the board, radii = distance
// + 3 km, a 150 km zone, a forbidden disc 300 km away. Prints the median wall time per verdict
// over repeated runs (each cell runs >= 5 times and >= 0.2 s) and the verdict.
//
//   build/host-release/bench/geo_verdict
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "locus/location/geo.h"
#include "locus/location/location.h"

using namespace locus::location;

namespace {

Zone polygon_zone(GeoPoint c, int vertices, double r_km) {
  std::vector<GeoPoint> ring;
  for (int i = 0; i < vertices; ++i) {
    // A wavy star: alternating radii so the ring is not convex.
    const double rr = r_km * (i % 2 == 0 ? 1.0 : 0.85);
    ring.push_back(wgs84_destination(c, rr, 2 * kPi * i / vertices));
  }
  ring.push_back(ring.front());
  Polygon p;
  p.rings.push_back(ring);
  auto z = make_polygon_zone("poly" + std::to_string(vertices), {p});
  if (!z.ok()) {
    std::fprintf(stderr, "%s\n", z.message().c_str());
    std::exit(1);
  }
  return z.value();
}

}  // namespace

int main() {
  const GeoPoint site{1.3521, 103.8198};
  const GeoPoint board = wgs84_destination(site, 4, 1.0);
  std::printf("%-10s %3s %3s %10s %14s %9s\n", "zone", "n", "f", "subsets", "median_us", "verdict");
  for (int zk = 0; zk < 3; ++zk) {
    LocationPolicy pol;
    if (zk == 0) {
      Zone z;
      z.disc = {"disc", site, 150};
      pol.zones.push_back(z);
    } else {
      pol.zones.push_back(polygon_zone(site, zk == 1 ? 20 : 200, 150));
    }
    Zone fz;
    fz.disc = {"forbidden", wgs84_destination(site, 300, 0.3), 50};
    pol.forbidden.push_back(fz);
    for (int n : {2, 4, 16}) {
      std::vector<DiscInfo> discs;
      for (int i = 0; i < n; ++i) {
        DiscInfo d;
        d.landmark_id = "lm-" + std::to_string(i);
        const double dist = 5 + 55.0 * i / std::max(1, n - 1);
        d.center = wgs84_destination(board, dist, 2 * kPi * i / n + 0.1);
        d.radius_km = wgs84_distance_km(board, d.center) + 3;
        discs.push_back(d);
      }
      for (int f : {0, 1, 2}) {
        if (f >= n) {
          std::printf("%-10s %3d %3d %10s %14s %9s\n", pol.zones[0].name().c_str(), n, f, "-", "-",
                      "n/a");
          continue;
        }
        pol.f = f;
        double subsets = 1;
        for (int k = 0; k < f; ++k) subsets = subsets * (n - k) / (k + 1);
        std::vector<double> us;
        bool approved = false;
        const auto t_start = std::chrono::steady_clock::now();
        for (int rep = 0; rep < 1000; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          const LocationVerdict v = evaluate(discs, pol);
          const auto t1 = std::chrono::steady_clock::now();
          approved = v.approved;
          us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
          if (rep >= 4 && std::chrono::duration<double>(t1 - t_start).count() > 0.2) break;
        }
        std::sort(us.begin(), us.end());
        std::printf("%-10s %3d %3d %10.0f %14.1f %9s\n", pol.zones[0].name().c_str(), n, f, subsets,
                    us[us.size() / 2], approved ? "approved" : "refused");
      }
    }
  }
  return 0;
}
