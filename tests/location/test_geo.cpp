// Geometry of the location verdict: the exact method against brute-force sampling on
// thousands of random configurations (fixed seed), GeoJSON parsing, f-subsets, empty
// intersections and the reason texts.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmath>
#include <cstdio>
#include <random>

#include <cstring>
#include <string>

#include "locus/location/geo.h"
#include "locus/location/location.h"

extern "C" {
#include <cmocka.h>
}

using namespace locus::location;

namespace {

constexpr double kDeg = kPi / 180.0;

Vec3 vadd(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 vmul(Vec3 a, double s) { return {a.x * s, a.y * s, a.z * s}; }
Vec3 vcross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
double vdot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 vnorm(Vec3 a) { return vmul(a, 1.0 / std::sqrt(vdot(a, a))); }

// Point at distance d_km from c in direction bearing (radians).
GeoPoint offset(GeoPoint c, double d_km, double bearing) {
  const Vec3 cv = to_vec(c);
  const Vec3 t = std::fabs(cv.z) < 0.9 ? Vec3{0, 0, 1} : Vec3{1, 0, 0};
  const Vec3 u = vnorm(vcross(t, cv)), v = vcross(cv, u);
  const double a = d_km / kEarthRadiusKm;
  return to_geo(vadd(vmul(cv, std::cos(a)), vmul(vadd(vmul(u, std::cos(bearing)), vmul(v, std::sin(bearing))), std::sin(a))));
}

// Uniform point in the cap of radius r_km around c.
Vec3 sample_cap(std::mt19937_64& rng, GeoPoint c, double r_km) {
  std::uniform_real_distribution<double> U(0, 1);
  const double a = r_km / kEarthRadiusKm;
  const double cosd = 1.0 - U(rng) * (1.0 - std::cos(a));
  return to_vec(offset(c, std::acos(cosd) * kEarthRadiusKm, U(rng) * 2 * kPi));
}

bool in_disc(const Vec3& p, const Disc& d) { return distance_km(p, to_vec(d.center)) <= d.radius_km; }
bool in_all(const Vec3& p, const std::vector<Disc>& ds) {
  for (const auto& d : ds)
    if (!in_disc(p, d)) return false;
  return true;
}
bool in_zone(const Vec3& p, const Zone& z) {
  return z.kind == Zone::Kind::kDisc ? in_disc(p, z.disc) : polygon_contains(z.polygon, p);
}

// A random star-shaped (often non-convex) polygon around c.
Zone random_polygon(std::mt19937_64& rng, GeoPoint c, double r_km, const std::string& name) {
  std::uniform_real_distribution<double> U(0, 1);
  std::uniform_int_distribution<int> K(4, 12);
  Zone z;
  z.kind = Zone::Kind::kPolygon;
  z.polygon.name = name;
  std::vector<GeoPoint> ring;
  const int k = K(rng);
  const double rot = U(rng) * 2 * kPi;
  for (int i = 0; i < k; ++i) ring.push_back(offset(c, r_km * (0.35 + 0.65 * U(rng)), rot - 2 * kPi * i / k));
  ring.push_back(ring.front());
  z.polygon.rings.push_back(ring);
  return z;
}

struct Sampled {
  bool any_point = false;     // some sampled point is in F
  bool outside_zone = false;  // some sampled point of F lies outside the zone
  bool in_forbidden = false;  // some sampled point of F lies in the forbidden region
};

// Brute force: uniform samples in the smallest disc plus dense points on every arc of every
// disc boundary that are in F.
Sampled brute(std::mt19937_64& rng, const std::vector<Disc>& ds, const Zone& zone, const Zone* forbidden, int n) {
  Sampled s;
  size_t smallest = 0;
  for (size_t i = 1; i < ds.size(); ++i)
    if (ds[i].radius_km < ds[smallest].radius_km) smallest = i;
  auto visit = [&](const Vec3& p) {
    if (!in_all(p, ds)) return;
    s.any_point = true;
    if (!in_zone(p, zone)) s.outside_zone = true;
    if (forbidden && in_zone(p, *forbidden)) s.in_forbidden = true;
  };
  for (int i = 0; i < n; ++i) visit(sample_cap(rng, ds[smallest].center, ds[smallest].radius_km));
  for (const auto& d : ds) {
    for (int i = 0; i < 720; ++i) {
      // Slightly inside the circle so that boundary points count as in the disc.
      visit(to_vec(offset(d.center, d.radius_km * (1 - 1e-9), 2 * kPi * i / 720.0)));
    }
  }
  return s;
}

// Random configurations: 2..4 discs that overlap around a point, a zone (disc or polygon)
// near that point and a forbidden region near it. The exact verdict (inside zone / disjoint
// from forbidden / empty) is compared with brute force. An UNSAFE disagreement is the exact
// method approving (inside, disjoint) while a sampled point of F is outside / inside the
// forbidden region. Must: zero unsafe, and few safe disagreements (the method is exact, so
// only sampling misses of thin slivers may remain), and both outcomes occur often.
void test_random_configurations(void**) {
  std::mt19937_64 rng(20261122);
  std::uniform_real_distribution<double> U(0, 1);
  int unsafe = 0, safe_disagree = 0, approved = 0, refused = 0, empty = 0, empty_wrong = 0;
  int forb_unsafe = 0, forb_safe = 0, forb_clear = 0;
  const int kConfigs = 2000;
  for (int cfg = 0; cfg < kConfigs; ++cfg) {
    // Include high latitudes and the antimeridian.
    GeoPoint dev{-70 + 140 * U(rng), cfg % 10 == 0 ? 179.5 : -180 + 360 * U(rng)};
    const double scale = 20 + 800 * U(rng);
    std::vector<Disc> ds;
    const int n = 2 + int(U(rng) * 3);
    for (int i = 0; i < n; ++i) {
      const double r = scale * (0.5 + 2.0 * U(rng));
      // Centre so that dev is near the disc's edge (sometimes outside -> empty F).
      const double dist = r * (0.3 + 0.8 * U(rng));
      ds.push_back({"lm" + std::to_string(i), offset(dev, dist, U(rng) * 2 * kPi), r});
    }
    Zone zone;
    const GeoPoint zc = offset(dev, scale * U(rng), U(rng) * 2 * kPi);
    if (cfg % 2 == 0) {
      zone.kind = Zone::Kind::kDisc;
      zone.disc = {"z", zc, scale * (0.5 + 2.5 * U(rng))};
    } else {
      zone = random_polygon(rng, zc, scale * (1.0 + 3.0 * U(rng)), "z");
    }
    Zone forb;
    const GeoPoint fc = offset(dev, scale * (0.5 + 3 * U(rng)), U(rng) * 2 * kPi);
    if (cfg % 3 == 0) {
      forb = random_polygon(rng, fc, scale * (0.3 + U(rng)), "f");
    } else {
      forb.kind = Zone::Kind::kDisc;
      forb.disc = {"f", fc, scale * (0.2 + U(rng))};
    }
    Region f(ds);
    const Sampled s = brute(rng, ds, zone, &forb, 1500);
    if (f.empty()) {
      ++empty;
      if (s.any_point) ++empty_wrong;
      continue;
    }
    const bool inside = f.inside(zone).ok;
    if (inside) {
      ++approved;
      if (s.outside_zone) ++unsafe;
    } else {
      ++refused;
      if (!s.outside_zone) ++safe_disagree;
    }
    const bool clear = f.disjoint(forb).ok;
    if (clear) {
      ++forb_clear;
      if (s.in_forbidden) ++forb_unsafe;
    } else if (!s.in_forbidden) {
      ++forb_safe;
    }
  }
  std::printf("configs %d: inside %d, not inside %d (safe disagreements %d, unsafe %d), empty %d (sampled "
              "points in 'empty' F: %d); forbidden clear %d (unsafe %d, safe disagreements %d)\n",
              kConfigs, approved, refused, safe_disagree, unsafe, empty, empty_wrong, forb_clear, forb_unsafe, forb_safe);
  assert_int_equal(unsafe, 0);
  assert_int_equal(forb_unsafe, 0);
  assert_int_equal(empty_wrong, 0);
  assert_true(approved > kConfigs / 10);
  assert_true(refused > kConfigs / 10);
  assert_true(empty > 10);
  // Exactness: brute force rarely fails to find a witness the exact method found.
  assert_true(safe_disagree * 50 < refused);
  assert_true(forb_safe * 50 < kConfigs);
}

// A disc zone that contains F by 1 km must approve; one that misses it by 1 km must refuse
// with the distance named.
void test_disc_zone_margin(void**) {
  const GeoPoint a{1.3, 103.8};
  std::vector<Disc> ds = {{"a", a, 50}};
  Region f(ds);
  Zone z;
  z.disc = {"sg", a, 51};
  assert_true(f.inside(z).ok);
  z.disc.radius_km = 49;
  auto c = f.inside(z);
  assert_false(c.ok);
  assert_true(std::fabs(c.km - 1.0) < 0.01);
  assert_non_null(std::strstr(c.detail.c_str(), "1.0 km outside zone 'sg'"));
}

// A polygon with a hole: F inside the outer ring but covering the hole must be refused;
// F inside the ring and away from the hole approved.
void test_polygon_hole(void**) {
  Polygon p;
  p.name = "ring";
  p.rings.push_back({{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}});
  p.rings.push_back({{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}});
  Zone z;
  z.kind = Zone::Kind::kPolygon;
  z.polygon = p;
  Region around_hole({{"a", {5, 5}, 300}});
  assert_false(around_hole.inside(z).ok);
  Region away({{"a", {2, 2}, 100}});
  assert_true(away.inside(z).ok);
  Region crossing({{"a", {0.2, 5}, 100}});
  assert_false(crossing.inside(z).ok);
}

// GeoJSON: valid Polygon / Feature / MultiPolygon parse; malformed inputs give errors.
void test_geojson(void**) {
  std::vector<Zone> zs;
  assert_string_equal(parse_geojson(R"({"type":"Polygon","coordinates":[[[103.6,1.2],[104.1,1.2],[104.1,1.5],[103.6,1.5],[103.6,1.2]]]})", "sg", &zs).c_str(), "");
  assert_int_equal(zs.size(), 1);
  assert_true(polygon_contains(zs[0].polygon, to_vec({1.35, 103.8})));
  assert_false(polygon_contains(zs[0].polygon, to_vec({1.6, 103.8})));
  assert_string_equal(parse_geojson(R"({"type":"Feature","properties":{"name":"dc"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}})", "x", &zs).c_str(), "");
  assert_int_equal(zs.size(), 3);
  assert_string_equal(zs[1].name().c_str(), "dc#0");
  const char* bad[] = {
      "{not json",
      R"({"type":"Point","coordinates":[1,2]})",
      R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})",        // not closed
      R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})",              // too few
      R"({"type":"Polygon","coordinates":[[[0,"a"],[1,0],[1,1],[0,0]]]})",      // not a number
      R"({"type":"Polygon","coordinates":[[[0,95],[1,0],[1,1],[0,95]]]})",      // lat out of range
      R"({"type":"Polygon"})",
      R"({"type":"FeatureCollection","features":[]})",
      R"({"type":"Polygon","coordinates":[[[-100,0],[100,0],[0,80],[-100,0]]]})",  // too large
  };
  for (const char* b : bad) {
    std::vector<Zone> z2;
    assert_string_not_equal(parse_geojson(b, "x", &z2).c_str(), "");
    assert_int_equal(z2.size(), 0);
  }
}

DiscInfo disc(const std::string& id, GeoPoint c, double r) {
  DiscInfo d;
  d.landmark_id = id;
  d.center = c;
  d.radius_km = r;
  d.rtt_min_ns = uint64_t(r / kLightKmPerNs * 2);
  return d;
}

// Discs whose intersection is empty: refused as inconsistent.
void test_empty_intersection(void**) {
  LocationPolicy p;
  Zone z;
  z.disc = {"z", {1.3, 103.8}, 5000};
  p.zones.push_back(z);
  auto v = evaluate({disc("a", {1.3, 103.8}, 50), disc("b", {10, 110}, 50)}, p);
  assert_false(v.approved);
  assert_true(v.region_empty);
  bool found = false;
  for (const auto& r : v.reasons) found = found || r.find("inconsistent") != std::string::npos;
  assert_true(found);
}

// f = 1: three honest discs whose region reaches outside the zone and one lying disc that
// shrinks the region into the zone. f=0 approves (the liar moved the verdict); f=1 must
// refuse, naming the subset. With honest discs that all lie inside, f=1 approves.
void test_f_subsets(void**) {
  const GeoPoint dev{1.35, 103.82};
  LocationPolicy p;
  Zone z;
  z.disc = {"sg-dc", dev, 25};
  p.zones.push_back(z);
  std::vector<DiscInfo> ds = {disc("a", offset(dev, 300, 0), 330), disc("b", offset(dev, 300, 2.1), 330),
                              disc("c", offset(dev, 300, 4.2), 330), disc("liar", dev, 20)};
  p.f = 0;
  assert_true(evaluate(ds, p).approved);
  p.f = 1;
  auto v = evaluate(ds, p);
  assert_false(v.approved);
  bool named = false;
  for (const auto& r : v.reasons) named = named || r.find("without liar") != std::string::npos;
  assert_true(named);
  // Honest and tight: every 3-subset is inside.
  std::vector<DiscInfo> good = {disc("a", offset(dev, 300, 0), 305), disc("b", offset(dev, 300, 2.1), 305),
                                disc("c", offset(dev, 300, 4.2), 305), disc("d", offset(dev, 5, 1), 15)};
  assert_true(evaluate(good, p).approved);
  // f >= n: refused.
  p.f = 4;
  assert_false(evaluate(good, p).approved);
}

// Reasons name the landmark, its RTT and radius.
void test_reason_text(void**) {
  LocationPolicy p;
  Zone z;
  z.disc = {"sg-dc", {1.3, 103.8}, 10};
  p.zones.push_back(z);
  DiscInfo d = disc("sg-1", {1.3, 103.8}, 0);
  d.rtt_min_ns = 410000;
  d.radius_km = inflate(rtt_to_km(410000), p.margin());
  auto v = evaluate({d}, p);
  assert_false(v.approved);
  assert_string_equal(v.reasons[0].c_str(), "landmark sg-1: rtt_min 0.410 ms -> radius 62.8 km");
  bool outside = false;
  for (const auto& r : v.reasons) outside = outside || r.find("km outside zone 'sg-dc'") != std::string::npos;
  assert_true(outside);
}

// Policy TOML: zones, forbidden regions, f, margins; errors for bad input.
void test_policy_toml(void**) {
  LocationPolicy p;
  std::string e = parse_policy_toml(R"(
f = 1
margin_km = 2.0
required_landmarks = ["sg-1", "kl-1"]
[[zone]]
name = "sg-dc"
lat = 1.3
lon = 103.8
radius_km = 60
[[zone]]
name = "poly"
geojson_inline = '{"type":"Polygon","coordinates":[[[103.6,1.2],[104.1,1.2],[104.1,1.5],[103.6,1.5],[103.6,1.2]]]}'
[[forbidden]]
name = "sz"
lat = 22.54
lon = 114.06
radius_km = 100
)", ".", &p);
  assert_string_equal(e.c_str(), "");
  assert_int_equal(p.zones.size(), 2);
  assert_int_equal(p.forbidden.size(), 1);
  assert_int_equal(p.f, 1);
  assert_int_equal(p.required_landmarks.size(), 2);
  assert_string_not_equal(parse_policy_toml("f = -1\n[[zone]]\nlat=1\nlon=2\nradius_km=3\n", ".", &p).c_str(), "");
  assert_string_not_equal(parse_policy_toml("[[zone]]\nlat=1\nlon=2\n", ".", &p).c_str(), "");
  assert_string_not_equal(parse_policy_toml("f = 0\n", ".", &p).c_str(), "");
  assert_string_not_equal(parse_policy_toml("[[zone]\n", ".", &p).c_str(), "");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_configurations), cmocka_unit_test(test_disc_zone_margin),
      cmocka_unit_test(test_polygon_hole),          cmocka_unit_test(test_geojson),
      cmocka_unit_test(test_empty_intersection),    cmocka_unit_test(test_f_subsets),
      cmocka_unit_test(test_reason_text),           cmocka_unit_test(test_policy_toml),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
