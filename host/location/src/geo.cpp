// Geometry of the location verdict. See geo.h and docs/location.md §2 for the argument;
// every tolerance below enlarges F or shrinks what is approved.
#include "locus/location/geo.h"

#include <GeographicLib/Geodesic.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace locus::location {

using host::HostError;

namespace {

constexpr double kDeg = kPi / 180.0;
constexpr double kTwoPi = 2.0 * kPi;
// Absolute slack (radians, ~6 µm on the Earth): far above the rounding of unit vectors
// (~1e-16) and of every angle computed below. It only enlarges F or counts near-touches.
constexpr double kSlack = 1e-12;
// Caps at least this big are dropped (see Region's constructor).
constexpr double kMaxCapRad = kPi / 2.0 - 1e-6;
// Target deviation (radians, ~6.4 cm) of the great-circle chords from a lon/lat edge.
constexpr double kChordTarget = 1e-8;
constexpr size_t kMaxChordsPerEdge = 20000;
constexpr size_t kMaxChords = 2000000;
constexpr size_t kMaxVertices = 200000;

Vec3 add(const Vec3& a, const Vec3& b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
Vec3 sub(const Vec3& a, const Vec3& b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
Vec3 scale(const Vec3& a, double s) {
  return {a.x * s, a.y * s, a.z * s};
}
double dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double norm(const Vec3& a) {
  return std::sqrt(dot(a, a));
}
Vec3 normalize(const Vec3& a) {
  const double n = norm(a);
  return n > 0 ? scale(a, 1.0 / n) : Vec3{1, 0, 0};
}
// Angle between unit vectors, accurate for tiny and large angles alike.
double angle(const Vec3& a, const Vec3& b) {
  return std::atan2(norm(cross(a, b)), dot(a, b));
}
double wrap(double t) {
  t = std::fmod(t, kTwoPi);
  return t < 0 ? t + kTwoPi : t;
}
double clamp01(double h) {
  return h < 0 ? 0 : (h > 1 ? 1 : h);
}
// Central angle whose haversine is h.
double ahav(double h) {
  return 2.0 * std::asin(std::sqrt(clamp01(h)));
}

// Normal of the great circle through p and q, computed as (p - q) x (p + q) / 2 so that short
// chords keep full relative precision.
Vec3 chord_normal(const Vec3& p, const Vec3& q, double* len) {
  const Vec3 n = scale(cross(sub(p, q), add(p, q)), 0.5);
  *len = norm(n);
  return *len > 0 ? scale(n, 1.0 / *len) : Vec3{0, 0, 1};
}

// A parameter interval on a circle, [lo, hi] with hi >= lo (not wrapped).
struct Interval {
  double lo = 0, hi = 0;
};
bool in_interval(double t, const Interval& iv) {
  const double d = wrap(t - iv.lo);
  return d <= iv.hi - iv.lo;
}

std::string fmt1(double a) {
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.1f", a);
  return b;
}
std::string fmt3(double a) {
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.3f", a);
  return b;
}

const GeographicLib::Geodesic& wgs84() {
  static const GeographicLib::Geodesic g(kWgs84AKm * 1000.0, kWgs84F);
  return g;
}

}  // namespace

// ---- Earth model ---------------------------------------------------------------------------

double sphere_stretch_min() {
  const double e2 = kWgs84F * (2.0 - kWgs84F);
  return kEarthRadiusKm * std::sqrt(1.0 - e2) / kWgs84AKm;
}
double sphere_stretch_max() {
  const double e2 = kWgs84F * (2.0 - kWgs84F);
  return kEarthRadiusKm / (kWgs84AKm * (1.0 - e2));
}

Vec3 to_vec(const GeoPoint& p) {
  const double la = p.lat_deg * kDeg, lo = p.lon_deg * kDeg;
  return {std::cos(la) * std::cos(lo), std::cos(la) * std::sin(lo), std::sin(la)};
}

GeoPoint to_geo(const Vec3& v) {
  const Vec3 n = normalize(v);
  return {std::atan2(n.z, std::hypot(n.x, n.y)) / kDeg, std::atan2(n.y, n.x) / kDeg};
}

double distance_km(const Vec3& a, const Vec3& b) {
  return angle(a, b) * kEarthRadiusKm;
}
double distance_km(const GeoPoint& a, const GeoPoint& b) {
  return distance_km(to_vec(a), to_vec(b));
}

GeoPoint destination(const GeoPoint& p, double d_km, double bearing) {
  const double la = p.lat_deg * kDeg, lo = p.lon_deg * kDeg, a = d_km / kEarthRadiusKm;
  const double s = std::sin(la) * std::cos(a) + std::cos(la) * std::sin(a) * std::cos(bearing);
  const double la2 = std::asin(s > 1 ? 1 : (s < -1 ? -1 : s));
  const double lo2 = lo + std::atan2(std::sin(bearing) * std::sin(a) * std::cos(la),
                                     std::cos(a) - std::sin(la) * s);
  return {la2 / kDeg, std::remainder(lo2 / kDeg, 360.0)};
}

double wgs84_distance_km(const GeoPoint& a, const GeoPoint& b) {
  double s12 = 0;
  wgs84().Inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg, s12);
  return s12 / 1000.0;
}

GeoPoint wgs84_destination(const GeoPoint& p, double d_km, double azimuth_rad) {
  double lat2 = 0, lon2 = 0;
  wgs84().Direct(p.lat_deg, p.lon_deg, azimuth_rad / kDeg, d_km * 1000.0, lat2, lon2);
  return {lat2, std::remainder(lon2, 360.0)};
}

std::string format_point(const GeoPoint& p) {
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.3f%c %.3f%c", std::fabs(p.lat_deg), p.lat_deg < 0 ? 'S' : 'N',
                      std::fabs(p.lon_deg), p.lon_deg < 0 ? 'W' : 'E');
  return b;
}

double rtt_to_km(double rtt_ns) {
  return kLightKmPerNs * rtt_ns / 2.0;
}
double inflate(double radius_km, const Margin& m) {
  return radius_km * (1.0 + m.fraction) + m.km;
}

// ---- Polygons ------------------------------------------------------------------------------

struct PolygonPrep {
  struct Edge {
    size_t first = 0, count = 0;  // chord points pts[first .. first+count-1] (count >= 2)
    Vec3 cap_c;                   // a cap containing the edge and its chords
    double cap_r = 0;
    bool cut = false;  // lies on the antimeridian (both ends at lon +180 or -180)
  };
  std::vector<Vec3> pts;
  std::vector<Edge> edges;
  std::vector<Vec3> vertices;
  double eps = 0;  // chord deviation bound (radians)
};

double PolygonZone::chord_bound_km() const {
  return prep ? prep->eps * kEarthRadiusKm : 0.0;
}

namespace {

std::vector<GeoPoint> open_ring(const std::vector<GeoPoint>& r) {
  std::vector<GeoPoint> o = r;
  if (o.size() >= 2 && o.front().lat_deg == o.back().lat_deg &&
      o.front().lon_deg == o.back().lon_deg) {
    o.pop_back();
  }
  return o;
}

// Bound (radians) on the distance between the lon/lat segment a..b and the great-circle chord
// between its ends. Along a lon/lat line the geodesic curvature is at most
// |tan φ|·(1 + 2/(3√3)) (Liouville's formula; exactly |tan φ| on a parallel, 0 on a
// meridian), and a curve of length ℓ and curvature ≤ κ stays within κℓ²/(8 - ℓ²) of its
// chord's great circle; any curve also stays within ℓ/2 of an end point.
double piece_bound(const GeoPoint& a, const GeoPoint& b) {
  const double dlon = (b.lon_deg - a.lon_deg) * kDeg, dlat = (b.lat_deg - a.lat_deg) * kDeg;
  if (dlon == 0) return 0;  // a meridian: a great circle
  const double fa = std::fabs(a.lat_deg) * kDeg, fb = std::fabs(b.lat_deg) * kDeg;
  const double fmax = std::max(fa, fb);
  const double fmin = (a.lat_deg < 0) != (b.lat_deg < 0) ? 0.0 : std::min(fa, fb);
  const double len = std::hypot(std::cos(fmin) * dlon, dlat);
  double bound = len / 2.0;
  if (fmax < kPi / 2 - 1e-12 && len * len < 4.0) {
    const double kappa = std::tan(fmax) * (dlat == 0 ? 1.0 : 1.0 + 2.0 / (3.0 * std::sqrt(3.0)));
    bound = std::min(bound, kappa * len * len / (8.0 - len * len));
  }
  return bound * 1.01 + 1e-15;
}

}  // namespace

host::HostResult<Zone> make_polygon_zone(const std::string& name, std::vector<Polygon> parts) {
  auto err = [&](const std::string& m) {
    return host::HostResult<Zone>(HostError::kConfig, "zone '" + name + "': " + m);
  };
  if (parts.empty()) return err("no polygon");
  auto prep = std::make_shared<PolygonPrep>();
  size_t nvert = 0;
  for (auto& part : parts) {
    if (part.rings.empty()) return err("a polygon without rings");
    for (auto& ring0 : part.rings) {
      for (const auto& g : ring0) {
        if (!std::isfinite(g.lat_deg) || !std::isfinite(g.lon_deg) || std::fabs(g.lat_deg) > 90 ||
            std::fabs(g.lon_deg) > 180) {
          return err("a position is outside lat [-90, 90] / lon [-180, 180]");
        }
      }
      const std::vector<GeoPoint> ring = open_ring(ring0);
      size_t distinct = 0;
      for (size_t i = 0; i < ring.size(); ++i) {
        const GeoPoint& a = ring[i];
        const GeoPoint& b = ring[(i + 1) % ring.size()];
        distinct += (a.lat_deg != b.lat_deg || a.lon_deg != b.lon_deg) ? 1 : 0;
      }
      if (distinct < 3) return err("a ring has fewer than 3 distinct positions");
      nvert += ring.size();
      if (nvert > kMaxVertices)
        return err("too many vertices (limit " + std::to_string(kMaxVertices) + ")");
      for (size_t i = 0; i < ring.size(); ++i) {
        const GeoPoint& a = ring[i];
        const GeoPoint& b = ring[(i + 1) % ring.size()];
        prep->vertices.push_back(to_vec(a));
        const double dlon = b.lon_deg - a.lon_deg;
        const bool full = std::fabs(dlon) == 360.0 && a.lat_deg == b.lat_deg;
        if (std::fabs(dlon) > 180.0 && !full) {
          return err(
              "the edge from " + format_point(a) + " to " + format_point(b) +
              " spans more than 180 degrees of longitude; RFC 7946 edges are straight in "
              "lon/lat, so split an area that crosses the antimeridian there (RFC 7946 §3.1.9)");
        }
        // Chord count from the whole edge's curvature bound, then the bound of every piece.
        const double fmax = std::max(std::fabs(a.lat_deg), std::fabs(b.lat_deg)) * kDeg;
        const double len = std::hypot(dlon * kDeg, (b.lat_deg - a.lat_deg) * kDeg);
        size_t n = 1;
        if (dlon != 0) {
          const double kappa = fmax < kPi / 2 - 1e-12 ? std::tan(fmax) * 1.4 + 1e-3 : 1e12;
          const double want = std::ceil(len * std::sqrt(kappa / (8.0 * kChordTarget)));
          n = size_t(std::min(double(kMaxChordsPerEdge), std::max(1.0, want)));
        }
        PolygonPrep::Edge e;
        e.first = prep->pts.size();
        e.cut = dlon == 0 && std::fabs(a.lon_deg) == 180.0;
        Vec3 sum{0, 0, 0};
        GeoPoint prev = a;
        for (size_t k = 0; k <= n; ++k) {
          const double s = double(k) / double(n);
          const GeoPoint g =
              k == n ? b : GeoPoint{a.lat_deg + s * (b.lat_deg - a.lat_deg), a.lon_deg + s * dlon};
          if (k > 0) prep->eps = std::max(prep->eps, piece_bound(prev, g));
          prev = g;
          const Vec3 v = to_vec(g);
          prep->pts.push_back(v);
          sum = add(sum, v);
        }
        e.count = n + 1;
        e.cap_c = normalize(sum);
        for (size_t k = 0; k < e.count; ++k)
          e.cap_r = std::max(e.cap_r, angle(e.cap_c, prep->pts[e.first + k]));
        prep->edges.push_back(e);
        if (prep->pts.size() > kMaxChords)
          return err("edges too long to densify (limit " + std::to_string(kMaxChords) + " chords)");
      }
    }
  }
  for (auto& e : prep->edges) e.cap_r += prep->eps + kSlack;
  Zone z;
  z.kind = Zone::Kind::kPolygon;
  z.polygon.name = name;
  z.polygon.parts = std::move(parts);
  z.polygon.prep = prep;
  return z;
}

namespace {

// Even-odd test of (x = lon, y = lat) against a ring, planar.
bool ring_contains(const std::vector<GeoPoint>& ring, double x, double y) {
  bool in = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const double xi = ring[i].lon_deg, yi = ring[i].lat_deg, xj = ring[j].lon_deg,
                 yj = ring[j].lat_deg;
    if ((yi > y) != (yj > y)) {
      const double xc = xi + (y - yi) * (xj - xi) / (yj - yi);
      if (x < xc) in = !in;
    }
  }
  return in;
}

}  // namespace

bool polygon_contains(const PolygonZone& z, const GeoPoint& p) {
  for (const auto& part : z.parts) {
    if (part.rings.empty() || !ring_contains(open_ring(part.rings[0]), p.lon_deg, p.lat_deg))
      continue;
    bool in_hole = false;
    for (size_t i = 1; i < part.rings.size() && !in_hole; ++i) {
      in_hole = ring_contains(open_ring(part.rings[i]), p.lon_deg, p.lat_deg);
    }
    if (!in_hole) return true;
  }
  return false;
}

namespace {

// Membership of a point of F for check (b). A point on the antimeridian counts as inside if
// either side of it is (the cut is interior there, or check (a) has already refused).
bool witness_in(const PolygonZone& z, const GeoPoint& w) {
  if (std::fabs(w.lon_deg) > 180.0 - 1e-9) {
    return polygon_contains(z, {w.lat_deg, 180.0 - 1e-9}) ||
           polygon_contains(z, {w.lat_deg, -180.0 + 1e-9});
  }
  return polygon_contains(z, w);
}

}  // namespace

// ---- Region ------------------------------------------------------------------------------

namespace {

// Enclosures of the crossings of circle i (ci) with circle j (cj) as intervals of i's
// parameter t. Returns false if the circles certainly do not cross; *whole if the crossings
// cannot be located (near-identical circles): then every point of i counts as uncertain.
struct CircleGeom {
  Vec3 c, u, v;
  double a{};
};
bool crossing_enclosures(const CircleGeom& ci, const CircleGeom& cj, std::vector<Interval>* out,
                         bool* whole) {
  *whole = false;
  const double th = angle(ci.c, cj.c);
  const double dth = 4e-16 + 4e-16 * th;
  if (th - dth > ci.a + cj.a) return false;             // apart
  if (th + dth < std::fabs(ci.a - cj.a)) return false;  // nested
  const double S = ci.a + cj.a + th;
  const double den = std::sin(ci.a) * std::sin(th);
  if (!(den > 0)) {
    *whole = true;
    return true;
  }
  // hav(C) = (hav(a_j) - hav(a_i - θ)) / (sin a_i sin θ), with the difference of haversines
  // written as a product of sines (no cancellation).
  const double num = std::sin((cj.a - ci.a + th) / 2.0) * std::sin((cj.a + ci.a - th) / 2.0);
  const double h = num / den;
  const double dh = (2e-15 * S * S + dth * S) / den + (1e-15 + 2.0 * dth / th) * std::fabs(h);
  if (h - dh > 1.0 || h + dh < 0.0) return false;
  if (dh >= 0.25) {
    *whole = true;
    return true;
  }
  const double clo = ahav(h - dh), chi = ahav(h + dh);
  const double beta = std::atan2(dot(cj.c, ci.v), dot(cj.c, ci.u));
  const double db = 1e-15 / std::sin(th) + 1e-15;
  if (chi + db >= kPi && clo - db <= 0) {
    *whole = true;
    return true;
  }
  if (clo - db <= 0) {
    out->push_back({beta - chi - db, beta + chi + db});
  } else if (chi + db >= kPi) {
    out->push_back({beta + clo - db, beta + kTwoPi - clo + db});
  } else {
    out->push_back({beta + clo - db, beta + chi + db});
    out->push_back({beta - chi - db, beta - clo + db});
  }
  return true;
}

}  // namespace

Region::Region(const std::vector<Disc>& discs, double extra_rad)
    : discs_(discs), extra_rad_(extra_rad) {
  const double stretch = sphere_stretch_max() * (1.0 + 1e-14);
  for (const auto& d : discs_) {
    Circle c;
    c.c = to_vec(d.center);
    const double r = std::isfinite(d.radius_km) && d.radius_km > 0 ? d.radius_km : 0.0;
    c.a = r * stretch / kEarthRadiusKm + extra_rad;
    const Vec3 t = std::fabs(c.c.z) < 0.9 ? Vec3{0, 0, 1} : Vec3{1, 0, 0};
    c.u = normalize(cross(t, c.c));
    c.v = cross(c.c, c.u);
    c.cos_a = std::cos(c.a);
    c.sin_a = std::sin(c.a);
    if (c.a >= 1e-4) {
      c.cos_in = std::cos(c.a * (1 - 1e-3));
      c.cos_out = std::cos(c.a * (1 + 1e-3) + kSlack);
    }
    c.used = c.a < kMaxCapRad && std::isfinite(d.center.lat_deg) && std::isfinite(d.center.lon_deg);
    if (!std::isfinite(d.center.lat_deg) || !std::isfinite(d.center.lon_deg))
      c.a = 0;  // refuse below
    circles_.push_back(c);
  }
  std::vector<size_t> used;
  for (size_t i = 0; i < circles_.size(); ++i) {
    if (circles_[i].used) used.push_back(i);
    if (!std::isfinite(discs_[i].center.lat_deg) || !std::isfinite(discs_[i].center.lon_deg)) {
      empty_ = true;  // a disc without a position constrains nothing we can compute: refuse
      return;
    }
  }
  if (used.empty()) {
    unbounded_ = true;
    empty_ = false;
    return;
  }
  for (size_t i : used) {
    const Circle& ci = circles_[i];
    const CircleGeom gi{ci.c, ci.u, ci.v, ci.a};
    std::vector<double> splits;
    std::vector<std::vector<Interval>> unc(circles_.size());
    std::vector<bool> whole(circles_.size(), false);
    for (size_t j : used) {
      if (j == i) continue;
      const Circle& cj = circles_[j];
      bool w = false;
      if (!crossing_enclosures(gi, {cj.c, cj.u, cj.v, cj.a}, &unc[j], &w)) continue;
      whole[j] = w;
      for (const auto& iv : unc[j]) {
        splits.push_back(wrap(iv.lo));
        splits.push_back(wrap(iv.hi));
      }
    }
    // A piece between consecutive split points contains no crossing with any j outside j's
    // enclosures, so it lies wholly inside or wholly outside cap j: its midpoint decides.
    auto keep = [&](double t) {
      const Vec3 p = point(i, t);
      for (size_t j : used) {
        if (j == i || whole[j]) continue;
        bool uncertain = false;
        for (const auto& iv : unc[j]) uncertain = uncertain || in_interval(t, iv);
        if (uncertain) continue;
        const Circle& cj = circles_[j];
        const double d = dot(p, cj.c);
        if (d >= cj.cos_in) continue;
        if (d <= cj.cos_out) return false;
        if (angle(p, cj.c) > cj.a + kSlack) return false;
      }
      return true;
    };
    if (splits.empty()) {
      if (keep(0.0)) arcs_.push_back({i, 0.0, kTwoPi});
      continue;
    }
    std::sort(splits.begin(), splits.end());
    for (size_t k = 0; k < splits.size(); ++k) {
      const double t0 = splits[k];
      const double t1 = (k + 1 < splits.size()) ? splits[k + 1] : splits[0] + kTwoPi;
      if (!(t1 > t0)) continue;
      if (keep(0.5 * (t0 + t1))) arcs_.push_back({i, t0, t1});
    }
  }
  if (arcs_.empty()) {
    empty_ = true;
    return;
  }
  if (extra_rad != 0) {
    empty_ = false;  // an enlarged copy for the polygon checks: only its arcs are used
    return;
  }
  // Non-empty only with a witness checked against the WGS84 discs themselves (GeographicLib):
  // the caps above over-approximate, so discs that miss by less than 0.56 % of their radii
  // would otherwise look consistent. Candidates: the centre of the arcs, the disc centres,
  // and for each pair the middle of their overlap along the geodesic between the centres
  // (inside both whenever the pair overlaps).
  const double inside_by = 1e-9;  // km (1 µm): far above GeographicLib's error (~15 nm)
  auto in_wgs84 = [&](const GeoPoint& g) {
    for (size_t j : used) {
      if (!(wgs84_distance_km(g, discs_[j].center) <= discs_[j].radius_km - inside_by))
        return false;
    }
    return true;
  };
  std::vector<GeoPoint> cands;
  cands.push_back(centroid());
  for (size_t i : used) cands.push_back(discs_[i].center);
  for (size_t a = 0; a < used.size(); ++a) {
    for (size_t b = a + 1; b < used.size(); ++b) {
      const Disc& di = discs_[used[a]];
      const Disc& dj = discs_[used[b]];
      double d = 0, az1 = 0, az2 = 0;
      wgs84().Inverse(di.center.lat_deg, di.center.lon_deg, dj.center.lat_deg, dj.center.lon_deg, d,
                      az1, az2);
      d /= 1000.0;
      if (d > di.radius_km + dj.radius_km) continue;
      const double t = std::max(0.0, std::min(d, (d + di.radius_km - dj.radius_km) / 2.0));
      cands.push_back(wgs84_destination(di.center, t, az1 * kDeg));
    }
  }
  for (const auto& g : cands) {
    if (in_wgs84(g)) {
      witness_ = to_vec(g);
      empty_ = false;
      return;
    }
  }
  empty_ = true;
}

double Region::cap_rad(size_t i) const {
  return i < circles_.size() ? circles_[i].a : 0.0;
}

Vec3 Region::point(size_t i, double t) const {
  const Circle& c = circles_[i];
  return add(scale(c.c, c.cos_a),
             scale(add(scale(c.u, std::cos(t)), scale(c.v, std::sin(t))), c.sin_a));
}

bool Region::contains(const Vec3& p, double slack_rad) const {
  for (const auto& c : circles_) {
    if (!c.used) continue;
    if (angle(p, c.c) > c.a + slack_rad) return false;
  }
  return true;
}

std::vector<GeoPoint> Region::outline(size_t per_arc) const {
  std::vector<GeoPoint> out;
  if (arcs_.empty() || per_arc == 0 || empty_) return out;
  // Arcs run counter-clockwise around their centres, so each arc's end is the next one's
  // start: chain them greedily.
  std::vector<bool> done(arcs_.size(), false);
  size_t cur = 0;
  for (size_t n = 0; n < arcs_.size(); ++n) {
    done[cur] = true;
    const Arc& a = arcs_[cur];
    for (size_t k = 0; k <= per_arc; ++k) {
      out.push_back(to_geo(point(a.circle, a.t0 + (a.t1 - a.t0) * double(k) / double(per_arc))));
    }
    const Vec3 end = point(a.circle, a.t1);
    double best = 1e9;
    size_t next = arcs_.size();
    for (size_t j = 0; j < arcs_.size(); ++j) {
      if (done[j]) continue;
      const double dd = angle(end, point(arcs_[j].circle, arcs_[j].t0));
      if (dd < best) {
        best = dd;
        next = j;
      }
    }
    if (next == arcs_.size()) break;
    cur = next;
  }
  return out;
}

GeoPoint Region::centroid() const {
  if (arcs_.empty()) return discs_.empty() ? GeoPoint{} : discs_[0].center;
  Vec3 s{0, 0, 0};
  for (const auto& a : arcs_) {
    for (int k = 0; k < 8; ++k) s = add(s, point(a.circle, a.t0 + (a.t1 - a.t0) * k / 8.0));
  }
  return to_geo(s);
}

double Region::arc_extreme(const Arc& arc, const Vec3& q, bool farthest, Vec3* at) const {
  const Circle& c = circles_[arc.circle];
  const double A = dot(c.u, q), B = dot(c.v, q);
  double cands[3] = {arc.t0, arc.t1, arc.t0};
  int n = 2;
  if (std::hypot(A, B) > 0) {
    // On the circle, the angle to q is extremal opposite q's direction (farthest) or
    // towards it (nearest).
    double ts = std::atan2(B, A) + (farthest ? kPi : 0.0);
    ts = arc.t0 + wrap(ts - arc.t0);
    if (ts <= arc.t1) cands[n++] = ts;
  }
  double best = farthest ? -1.0 : 10.0;
  for (int k = 0; k < n; ++k) {
    const Vec3 p = point(arc.circle, cands[k]);
    const double d = angle(p, q);
    if (farthest ? d > best : d < best) {
      best = d;
      *at = p;
    }
  }
  return best;
}

Region::Check Region::inside(const Zone& z) const {
  return z.kind == Zone::Kind::kDisc ? inside_disc(z.disc) : inside_polygon(z.polygon);
}
Region::Check Region::disjoint(const Zone& z) const {
  return z.kind == Zone::Kind::kDisc ? disjoint_disc(z.disc) : disjoint_polygon(z.polygon);
}

Region::Check Region::inside_disc(const Disc& d) const {
  Check r;
  if (empty_ || unbounded_) {
    r.detail = empty_ ? "feasible region is empty" : "feasible region is unbounded";
    return r;
  }
  // The approved cap is the one the WGS84 disc certainly contains.
  const double rho = std::isfinite(d.radius_km) && d.radius_km > 0
                         ? d.radius_km * sphere_stretch_min() * (1.0 - 1e-14) / kEarthRadiusKm
                         : 0.0;
  if (!(rho > 0) || rho >= kMaxCapRad || !std::isfinite(d.center.lat_deg) ||
      !std::isfinite(d.center.lon_deg)) {
    r.detail = "zone '" + d.name + "' is not a usable disc (radius must be > 0 and < 10000 km)";
    return r;
  }
  const Vec3 z = to_vec(d.center);
  double worst = -1.0;
  Vec3 wp{};
  for (const auto& a : arcs_) {
    Vec3 p;
    const double dd = arc_extreme(a, z, true, &p);
    if (dd > worst) {
      worst = dd;
      wp = p;
    }
  }
  r.witness = to_geo(wp);
  const double geo_km = wgs84_distance_km(r.witness, d.center);
  if (worst + 4 * kSlack <= rho) {
    r.ok = true;
    r.km = d.radius_km - geo_km;
    r.detail = "farthest feasible point " + format_point(r.witness) + " is " + fmt3(geo_km) +
               " km from the centre of zone '" + d.name + "' (radius " + fmt3(d.radius_km) + " km)";
  } else if (geo_km > d.radius_km) {
    r.km = geo_km - d.radius_km;
    r.detail = "feasible point " + format_point(r.witness) + " lies " + fmt3(r.km) +
               " km outside zone '" + d.name + "'";
  } else {
    r.km = 0;
    r.detail = "feasible point " + format_point(r.witness) + " is " + fmt3(geo_km) +
               " km from the centre of zone '" + d.name + "' (radius " + fmt3(d.radius_km) +
               " km): inside it, but not by the WGS84 bound of the computation";
  }
  return r;
}

Region::Check Region::disjoint_disc(const Disc& d) const {
  Check r;
  if (empty_) {
    r.detail = "feasible region is empty";
    return r;
  }
  if (unbounded_) {
    r.detail = "feasible region is unbounded";
    return r;
  }
  const double rho = std::isfinite(d.radius_km) && d.radius_km > 0
                         ? d.radius_km * sphere_stretch_max() * (1.0 + 1e-14) / kEarthRadiusKm
                         : 0.0;
  if (!std::isfinite(d.radius_km) || !std::isfinite(d.center.lat_deg) ||
      !std::isfinite(d.center.lon_deg)) {
    r.detail = "forbidden region '" + d.name + "' is not a usable disc";
    return r;
  }
  const Vec3 g = to_vec(d.center);
  if (contains(g, kSlack)) {
    r.witness = d.center;
    r.km = d.radius_km;
    r.detail = "the centre of forbidden region '" + d.name + "' is inside the feasible region";
    return r;
  }
  double best = 10.0;
  Vec3 bp{};
  for (const auto& a : arcs_) {
    Vec3 p;
    const double dd = arc_extreme(a, g, false, &p);
    if (dd < best) {
      best = dd;
      bp = p;
    }
  }
  r.witness = to_geo(bp);
  const double geo_km = wgs84_distance_km(r.witness, d.center);
  if (best > rho + 4 * kSlack) {
    r.ok = true;
    r.km = geo_km - d.radius_km;
    r.detail =
        "feasible region stays " + fmt1(r.km) + " km clear of forbidden region '" + d.name + "'";
  } else {
    r.km = std::max(0.0, d.radius_km - geo_km);
    r.detail = "feasible point " + format_point(r.witness) + " lies " + fmt3(r.km) +
               " km inside forbidden region '" + d.name +
               "' (or within the WGS84 bound of its border)";
  }
  return r;
}

bool Region::arcs_meet_polygon(const PolygonZone& p, bool approved, Vec3* at) const {
  const PolygonPrep& pp = *p.prep;
  for (const auto& arc : arcs_) {
    const Circle& c = circles_[arc.circle];
    for (const auto& e : pp.edges) {
      // The edge's cap must reach the circle: not wholly outside the disc, not wholly inside.
      const double dc = angle(e.cap_c, c.c);
      if (dc > c.a + e.cap_r || dc + e.cap_r < c.a) continue;
      for (size_t k = 0; k + 1 < e.count; ++k) {
        const Vec3& e1 = pp.pts[e.first + k];
        const Vec3& e2 = pp.pts[e.first + k + 1];
        double len = 0;
        const Vec3 n = chord_normal(e1, e2, &len);
        if (len < 1e-18) continue;  // a zero-length chord (e.g. along a pole)
        // p(t)·n = cos a (c·n) + sin a (A cos t + B sin t) = 0.
        const double A = dot(c.u, n), B = dot(c.v, n), rho = std::hypot(A, B), cn = dot(c.c, n);
        if (!(rho > 1e-12))
          continue;  // circle parallel to the great circle: no crossing (caps < π/2)
        const double kap = -cn * c.cos_a / (c.sin_a * rho);
        const double dk = (4e-16 * (1.0 + std::fabs(cn))) * c.cos_a / (c.sin_a * rho) +
                          1e-15 * std::fabs(kap) + 1e-15;
        if (kap - dk > 1.0 || kap + dk < -1.0) continue;
        const double phi0 = std::atan2(B, A);
        const double wlo = std::acos(std::max(-1.0, std::min(1.0, kap + dk)));
        const double whi = std::acos(std::max(-1.0, std::min(1.0, kap - dk)));
        // The crossings lie in phi0 ± [wlo, whi].
        for (int sgn : {1, -1}) {
          Interval iv =
              sgn > 0 ? Interval{phi0 + wlo, phi0 + whi} : Interval{phi0 - whi, phi0 - wlo};
          iv.lo -= 1e-15;
          iv.hi += 1e-15;
          // Overlap with the arc's range [t0, t1].
          const double s = arc.t0 + wrap(iv.lo - arc.t0);
          const bool overlaps = s <= arc.t1 || in_interval(arc.t0, iv);
          if (!overlaps) continue;
          const double tm = 0.5 * (iv.lo + iv.hi);
          const Vec3 q = point(arc.circle, tm);
          const double w = (iv.hi - iv.lo) * c.sin_a + kSlack;
          // On the chord's extent (sines of the angles from each end, widened by w).
          if (dot(cross(e1, q), n) < -w || dot(cross(q, e2), n) < -w) continue;
          if (approved && e.cut) {
            // A crossing of the antimeridian inside the union (both sides inside around the
            // crossing latitude) is not a border.
            const GeoPoint g = to_geo(q);
            const double d = std::max(w / kDeg, 1e-9);
            bool interior = true;
            for (double lon : {180.0 - 1e-9, -180.0 + 1e-9}) {
              for (double dl : {-d, d})
                interior = interior && polygon_contains(p, {g.lat_deg + dl, lon});
            }
            if (interior) continue;
          }
          *at = q;
          return true;
        }
      }
    }
  }
  return false;
}

Region::Check Region::inside_polygon(const PolygonZone& p) const {
  Check r;
  if (empty_ || unbounded_) {
    r.detail = empty_ ? "feasible region is empty" : "feasible region is unbounded";
    return r;
  }
  const PolygonZone* pz = &p;
  PolygonZone tmp;
  if (!p.prep) {
    auto made = make_polygon_zone(p.name, p.parts);
    if (!made.ok()) {
      r.detail = made.message();
      return r;
    }
    tmp = made.value().polygon;
    pz = &tmp;
  }
  const double eps = pz->prep->eps + 4 * kSlack;
  const Region fe(discs_, extra_rad_ + eps);
  if (fe.unbounded()) {
    r.detail = "feasible region is unbounded";
    return r;
  }
  Vec3 q;
  if (fe.arcs_meet_polygon(*pz, true, &q)) {
    r.witness = to_geo(q);
    r.detail = "feasible region boundary meets the border of zone '" + p.name + "' at " +
               format_point(r.witness) + " (within " + fmt3(eps * kEarthRadiusKm * 1000) + " m)";
    return r;
  }
  for (const auto& v : pz->prep->vertices) {
    if (fe.contains(v, kSlack)) {
      r.witness = to_geo(v);
      r.detail = "vertex " + format_point(r.witness) + " of zone '" + p.name +
                 "' lies inside the feasible region (a hole or a border of the zone is inside it)";
      return r;
    }
  }
  const GeoPoint w = to_geo(witness_);
  if (!witness_in(*pz, w)) {
    r.witness = w;
    r.detail = "feasible point " + format_point(w) + " lies outside zone '" + p.name + "'";
    return r;
  }
  r.ok = true;
  r.witness = w;
  r.detail = "feasible region lies inside zone '" + p.name + "'";
  return r;
}

Region::Check Region::disjoint_polygon(const PolygonZone& p) const {
  Check r;
  if (empty_) {
    r.detail = "feasible region is empty";
    return r;
  }
  if (unbounded_) {
    r.detail = "feasible region is unbounded";
    return r;
  }
  const PolygonZone* pz = &p;
  PolygonZone tmp;
  if (!p.prep) {
    auto made = make_polygon_zone(p.name, p.parts);
    if (!made.ok()) {
      r.detail = "forbidden region: " + made.message();
      return r;
    }
    tmp = made.value().polygon;
    pz = &tmp;
  }
  const double eps = pz->prep->eps + 4 * kSlack;
  const Region fe(discs_, extra_rad_ + eps);
  Vec3 q;
  if (fe.unbounded() || fe.arcs_meet_polygon(*pz, false, &q)) {
    r.witness = to_geo(q);
    r.detail = "feasible region boundary meets forbidden region '" + p.name + "' at " +
               format_point(r.witness);
    return r;
  }
  for (const auto& v : pz->prep->vertices) {
    if (fe.contains(v, kSlack)) {
      r.witness = to_geo(v);
      r.detail = "vertex " + format_point(r.witness) + " of forbidden region '" + p.name +
                 "' lies inside the feasible region";
      return r;
    }
  }
  const GeoPoint w = to_geo(witness_);
  if (witness_in(*pz, w)) {
    r.witness = w;
    r.detail =
        "feasible point " + format_point(w) + " lies inside forbidden region '" + p.name + "'";
    return r;
  }
  r.ok = true;
  r.detail = "feasible region does not touch forbidden region '" + p.name + "'";
  return r;
}

}  // namespace locus::location
