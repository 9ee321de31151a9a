// Spherical geometry for the location verdict. See geo.h and docs/location.md for the
// exactness argument; every tolerance below leans towards refusing.
#include "locus/location/geo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace locus::location {
namespace {

constexpr double kDeg = kPi / 180.0;
constexpr double kTwoPi = 2.0 * kPi;
// Numerical slack in radians (about 6 mm on the Earth). Used only to enlarge F or to treat
// near-touches as touches.
constexpr double kSlack = 1e-9;
// Discs at least this big are dropped (see Region's constructor).
constexpr double kMaxCapRad = kPi / 2.0 - 1e-6;

Vec3 add(const Vec3& a, const Vec3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 scale(const Vec3& a, double s) { return {a.x * s, a.y * s, a.z * s}; }
double dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 normalize(const Vec3& a) {
  const double n = norm(a);
  return n > 0 ? scale(a, 1.0 / n) : Vec3{1, 0, 0};
}
double clamp1(double d) { return d > 1 ? 1 : (d < -1 ? -1 : d); }
double angle(const Vec3& a, const Vec3& b) { return std::atan2(norm(cross(a, b)), dot(a, b)); }
double wrap(double t) {
  t = std::fmod(t, kTwoPi);
  return t < 0 ? t + kTwoPi : t;
}

// Intersections of two circles on the unit sphere {p.c1 = k1} and {p.c2 = k2}. Returns the
// number of points (0..2). `touch` widens the test so that near-tangent circles count.
int circle_intersections(const Vec3& c1, double k1, const Vec3& c2, double k2, Vec3 out[2],
                         double touch) {
  const double d = clamp1(dot(c1, c2));
  const double s2 = 1.0 - d * d;
  if (s2 < 1e-18) return 0;  // concentric or antipodal centres: no isolated crossings
  const double al = (k1 - k2 * d) / s2;
  const double be = (k2 - k1 * d) / s2;
  const Vec3 p0 = add(scale(c1, al), scale(c2, be));
  double g2 = (1.0 - dot(p0, p0)) / s2;
  if (g2 < -touch) return 0;
  if (g2 < 0) g2 = 0;
  const Vec3 x = cross(c1, c2);
  const double g = std::sqrt(g2);
  out[0] = normalize(add(p0, scale(x, g)));
  out[1] = normalize(add(p0, scale(x, -g)));
  return g == 0 ? 1 : 2;
}

// Point q strictly inside the closed ring in the gnomonic projection around m (great
// circles map to straight lines). Even-odd rule.
bool ring_contains(const std::vector<GeoPoint>& ring, const Vec3& m, const Vec3& e, const Vec3& f,
                   const Vec3& q) {
  const double qm = dot(q, m);
  if (qm <= 1e-12) return false;
  const double qx = dot(q, e) / qm, qy = dot(q, f) / qm;
  bool in = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Vec3 a = to_vec(ring[i]), b = to_vec(ring[j]);
    const double am = dot(a, m), bm = dot(b, m);
    const double ax = dot(a, e) / am, ay = dot(a, f) / am;
    const double bx = dot(b, e) / bm, by = dot(b, f) / bm;
    if ((ay > qy) != (by > qy)) {
      const double xc = ax + (qy - ay) * (bx - ax) / (by - ay);
      if (qx < xc) in = !in;
    }
  }
  return in;
}

void polygon_frame(const Polygon& p, Vec3* m, Vec3* e, Vec3* f) {
  Vec3 s{0, 0, 0};
  if (!p.rings.empty()) {
    for (const auto& g : p.rings[0]) s = add(s, to_vec(g));
  }
  *m = normalize(s);
  const Vec3 t = std::fabs(m->z) < 0.9 ? Vec3{0, 0, 1} : Vec3{1, 0, 0};
  *e = normalize(cross(t, *m));
  *f = cross(*m, *e);
}

// Ring without its closing duplicate vertex.
std::vector<GeoPoint> open_ring(const std::vector<GeoPoint>& r) {
  std::vector<GeoPoint> o = r;
  if (o.size() >= 2 && o.front().lat_deg == o.back().lat_deg && o.front().lon_deg == o.back().lon_deg) {
    o.pop_back();
  }
  return o;
}

std::string fmt1(double a) {
  char b[64];
  std::snprintf(b, sizeof b, "%.1f", a);
  return b;
}

}  // namespace

Vec3 to_vec(const GeoPoint& p) {
  const double la = p.lat_deg * kDeg, lo = p.lon_deg * kDeg;
  return {std::cos(la) * std::cos(lo), std::cos(la) * std::sin(lo), std::sin(la)};
}

GeoPoint to_geo(const Vec3& v) {
  const Vec3 n = normalize(v);
  return {std::atan2(n.z, std::hypot(n.x, n.y)) / kDeg, std::atan2(n.y, n.x) / kDeg};
}

GeoPoint destination(const GeoPoint& p, double d_km, double bearing) {
  const double la = p.lat_deg * kDeg, lo = p.lon_deg * kDeg, a = d_km / kEarthRadiusKm;
  const double la2 = std::asin(clamp1(std::sin(la) * std::cos(a) + std::cos(la) * std::sin(a) * std::cos(bearing)));
  const double lo2 = lo + std::atan2(std::sin(bearing) * std::sin(a) * std::cos(la), std::cos(a) - std::sin(la) * std::sin(la2));
  GeoPoint g{la2 / kDeg, lo2 / kDeg};
  g.lon_deg = std::remainder(g.lon_deg, 360.0);
  return g;
}

std::vector<GeoPoint> geodesic(const GeoPoint& a, const GeoPoint& b, size_t n) {
  std::vector<GeoPoint> out;
  if (n < 2) n = 2;
  const Vec3 va = to_vec(a), vb = to_vec(b);
  const double om = angle(va, vb);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / double(n - 1);
    if (om < 1e-12) {
      out.push_back(a);
      continue;
    }
    const double s0 = std::sin((1 - t) * om) / std::sin(om), s1 = std::sin(t * om) / std::sin(om);
    out.push_back(to_geo(add(scale(va, s0), scale(vb, s1))));
  }
  return out;
}

double distance_km(const Vec3& a, const Vec3& b) { return angle(a, b) * kEarthRadiusKm; }
double distance_km(const GeoPoint& a, const GeoPoint& b) { return distance_km(to_vec(a), to_vec(b)); }

std::string format_point(const GeoPoint& p) {
  char b[64];
  std::snprintf(b, sizeof b, "%.3f%c %.3f%c", std::fabs(p.lat_deg), p.lat_deg < 0 ? 'S' : 'N',
                std::fabs(p.lon_deg), p.lon_deg < 0 ? 'W' : 'E');
  return b;
}

double rtt_to_km(double rtt_ns) { return kLightKmPerNs * rtt_ns / 2.0; }
double inflate(double radius_km, const Margin& m) { return radius_km * (1.0 + m.fraction) + m.km; }

Region::Region(const std::vector<Disc>& discs) : discs_(discs) {
  for (const auto& d : discs_) {
    Circle c;
    c.c = to_vec(d.center);
    c.a = d.radius_km / kEarthRadiusKm;
    if (!(c.a >= 0)) c.a = 0;  // NaN or negative radius: a point (smallest cap)
    const Vec3 t = std::fabs(c.c.z) < 0.9 ? Vec3{0, 0, 1} : Vec3{1, 0, 0};
    c.u = normalize(cross(t, c.c));
    c.v = cross(c.c, c.u);
    c.cos_a = std::cos(c.a);
    c.sin_a = std::sin(c.a);
    circles_.push_back(c);
  }
  std::vector<size_t> used;
  for (size_t i = 0; i < circles_.size(); ++i) {
    if (circles_[i].a < kMaxCapRad) used.push_back(i);
  }
  if (used.empty()) {
    unbounded_ = true;
    empty_ = false;
    return;
  }
  for (size_t i : used) {
    const Circle& ci = circles_[i];
    std::vector<double> ts;
    for (size_t j : used) {
      if (j == i) continue;
      const Circle& cj = circles_[j];
      Vec3 pts[2];
      const int n = circle_intersections(ci.c, ci.cos_a, cj.c, cj.cos_a, pts, 1e-15);
      for (int k = 0; k < n; ++k) ts.push_back(wrap(std::atan2(dot(pts[k], ci.v), dot(pts[k], ci.u))));
    }
    // Tests whether the arc point at t is in every other used cap (slightly enlarged).
    auto in_others = [&](double t) {
      const Vec3 p = point(i, t);
      for (size_t j : used) {
        if (j == i) continue;
        if (angle(p, circles_[j].c) > circles_[j].a + kSlack) return false;
      }
      return true;
    };
    if (ts.empty()) {
      if (in_others(0.0)) arcs_.push_back({i, 0.0, kTwoPi});
      continue;
    }
    std::sort(ts.begin(), ts.end());
    for (size_t k = 0; k < ts.size(); ++k) {
      const double t0 = ts[k];
      const double t1 = (k + 1 < ts.size()) ? ts[k + 1] : ts[0] + kTwoPi;
      if (t1 - t0 < 1e-12) continue;
      if (in_others(0.5 * (t0 + t1))) arcs_.push_back({i, t0, t1});
    }
  }
  empty_ = arcs_.empty();
}

Vec3 Region::point(size_t i, double t) const {
  const Circle& c = circles_[i];
  return add(scale(c.c, c.cos_a), scale(add(scale(c.u, std::cos(t)), scale(c.v, std::sin(t))), c.sin_a));
}

bool Region::contains(const Vec3& p, double slack_rad) const {
  for (const auto& c : circles_) {
    if (c.a >= kMaxCapRad) continue;
    if (angle(p, c.c) > c.a + slack_rad) return false;
  }
  return true;
}

Vec3 Region::some_point() const {
  if (arcs_.empty()) return Vec3{1, 0, 0};
  return point(arcs_[0].circle, arcs_[0].t0);
}

std::vector<GeoPoint> Region::outline(size_t per_arc) const {
  std::vector<GeoPoint> out;
  if (arcs_.empty() || per_arc == 0) return out;
  // Arcs are all counter-clockwise around their centres, so F is on their left and each
  // arc's end is the next arc's start: chain them greedily.
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
    double ts = std::atan2(B, A) + (farthest ? kPi : 0.0);
    // Bring ts into [t0, t0 + 2π) and keep it if it falls on the arc.
    ts = arc.t0 + wrap(ts - arc.t0);
    if (ts <= arc.t1) cands[n++] = ts;
  }
  double best = farthest ? 2.0 : -2.0;
  for (int k = 0; k < n; ++k) {
    const Vec3 p = point(arc.circle, cands[k]);
    const double d = dot(p, q);
    if (farthest ? d < best : d > best) {
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
  if (empty_ || unbounded_ || !(d.radius_km > 0) || d.radius_km / kEarthRadiusKm >= kMaxCapRad) {
    r.detail = empty_ ? "feasible region is empty" : "feasible region is unbounded";
    return r;
  }
  const Vec3 z = to_vec(d.center);
  double worst = 2.0;
  Vec3 wp{};
  for (const auto& a : arcs_) {
    Vec3 p;
    const double dd = arc_extreme(a, z, true, &p);
    if (dd < worst) {
      worst = dd;
      wp = p;
    }
  }
  const double far_km = distance_km(wp, z);
  r.witness = to_geo(wp);
  // Inside only with room to spare for rounding (1 mm).
  if (far_km <= d.radius_km - 1e-6) {
    r.ok = true;
    r.km = d.radius_km - far_km;
    r.detail = "farthest feasible point " + format_point(r.witness) + " is " + fmt1(far_km) +
               " km from the centre of zone '" + d.name + "' (radius " + fmt1(d.radius_km) + " km)";
  } else {
    r.km = far_km - d.radius_km;
    r.detail = "feasible point " + format_point(r.witness) + " lies " + fmt1(r.km) +
               " km outside zone '" + d.name + "'";
  }
  return r;
}

bool Region::arc_meets_polygon(const Arc& arc, const Polygon& p, Vec3* at) const {
  const Circle& c = circles_[arc.circle];
  for (const auto& ring0 : p.rings) {
    const auto ring = open_ring(ring0);
    const size_t n = ring.size();
    for (size_t i = 0; i < n; ++i) {
      const Vec3 e1 = to_vec(ring[i]), e2 = to_vec(ring[(i + 1) % n]);
      const Vec3 nn = cross(e1, e2);
      if (norm(nn) < 1e-15) continue;  // repeated vertex: no edge
      const Vec3 nrm = normalize(nn);
      Vec3 pts[2];
      const int k = circle_intersections(c.c, c.cos_a, nrm, 0.0, pts, 1e-12);
      for (int j = 0; j < k; ++j) {
        const Vec3& q = pts[j];
        // On the edge's minor arc (tolerance widens: near misses count as hits).
        if (dot(cross(e1, q), nrm) < -1e-9 || dot(cross(q, e2), nrm) < -1e-9) continue;
        double t = wrap(std::atan2(dot(q, c.v), dot(q, c.u)));
        t = arc.t0 + wrap(t - arc.t0 + 1e-9) - 1e-9;
        if (t <= arc.t1 + 1e-9) {
          *at = q;
          return true;
        }
      }
    }
  }
  return false;
}

Region::Check Region::inside_polygon(const Polygon& p) const {
  Check r;
  if (empty_ || unbounded_) {
    r.detail = empty_ ? "feasible region is empty" : "feasible region is unbounded";
    return r;
  }
  if (!validate_polygon(p).empty()) {
    r.detail = "zone '" + p.name + "' is not a usable polygon: " + validate_polygon(p);
    return r;
  }
  for (const auto& a : arcs_) {
    Vec3 q;
    if (arc_meets_polygon(a, p, &q)) {
      r.witness = to_geo(q);
      r.detail = "feasible region boundary crosses the border of zone '" + p.name + "' at " +
                 format_point(r.witness);
      return r;
    }
  }
  for (const auto& a : arcs_) {
    const Vec3 q = point(a.circle, a.t0);
    if (!polygon_contains(p, q)) {
      r.witness = to_geo(q);
      r.detail = "feasible point " + format_point(r.witness) + " lies outside zone '" + p.name + "'";
      return r;
    }
  }
  for (const auto& ring : p.rings) {
    for (const auto& v : ring) {
      if (contains(to_vec(v), kSlack)) {
        r.witness = v;
        r.detail = "vertex " + format_point(v) + " of zone '" + p.name +
                   "' lies inside the feasible region (a hole or the whole zone is inside it)";
        return r;
      }
    }
  }
  r.ok = true;
  r.witness = to_geo(some_point());
  r.detail = "feasible region lies inside zone '" + p.name + "'";
  return r;
}

Region::Check Region::disjoint_disc(const Disc& d) const {
  Check r;
  if (empty_) {
    r.ok = true;
    r.detail = "feasible region is empty";
    return r;
  }
  if (unbounded_) {
    r.detail = "feasible region is unbounded";
    return r;
  }
  const Vec3 g = to_vec(d.center);
  if (contains(g, kSlack)) {
    r.witness = d.center;
    r.km = d.radius_km;
    r.detail = "the centre of forbidden region '" + d.name + "' is inside the feasible region";
    return r;
  }
  double best = -2.0;
  Vec3 bp{};
  for (const auto& a : arcs_) {
    Vec3 p;
    const double dd = arc_extreme(a, g, false, &p);
    if (dd > best) {
      best = dd;
      bp = p;
    }
  }
  const double near_km = distance_km(bp, g);
  r.witness = to_geo(bp);
  if (near_km > d.radius_km + 1e-6) {
    r.ok = true;
    r.km = near_km - d.radius_km;
    r.detail = "feasible region stays " + fmt1(r.km) + " km clear of forbidden region '" + d.name + "'";
  } else {
    r.km = d.radius_km - near_km;
    r.detail = "feasible point " + format_point(r.witness) + " lies " + fmt1(r.km) +
               " km inside forbidden region '" + d.name + "'";
  }
  return r;
}

Region::Check Region::disjoint_polygon(const Polygon& p) const {
  Check r;
  if (empty_) {
    r.ok = true;
    r.detail = "feasible region is empty";
    return r;
  }
  if (unbounded_ || !validate_polygon(p).empty()) {
    r.detail = unbounded_ ? "feasible region is unbounded" : "forbidden region '" + p.name + "' is not a usable polygon";
    return r;
  }
  for (const auto& a : arcs_) {
    Vec3 q;
    if (arc_meets_polygon(a, p, &q)) {
      r.witness = to_geo(q);
      r.detail = "feasible region boundary crosses forbidden region '" + p.name + "' at " + format_point(r.witness);
      return r;
    }
  }
  for (const auto& a : arcs_) {
    const Vec3 q = point(a.circle, a.t0);
    if (polygon_contains(p, q)) {
      r.witness = to_geo(q);
      r.detail = "feasible point " + format_point(r.witness) + " lies inside forbidden region '" + p.name + "'";
      return r;
    }
  }
  for (const auto& ring : p.rings) {
    for (const auto& v : ring) {
      if (contains(to_vec(v), kSlack)) {
        r.witness = v;
        r.detail = "vertex " + format_point(v) + " of forbidden region '" + p.name + "' lies inside the feasible region";
        return r;
      }
    }
  }
  r.ok = true;
  r.detail = "feasible region does not touch forbidden region '" + p.name + "'";
  return r;
}

bool polygon_contains(const Polygon& p, const Vec3& q) {
  if (p.rings.empty()) return false;
  Vec3 m, e, f;
  polygon_frame(p, &m, &e, &f);
  if (!ring_contains(open_ring(p.rings[0]), m, e, f, q)) return false;
  for (size_t i = 1; i < p.rings.size(); ++i) {
    if (ring_contains(open_ring(p.rings[i]), m, e, f, q)) return false;
  }
  return true;
}

std::string validate_polygon(const Polygon& p) {
  if (p.rings.empty()) return "no rings";
  for (const auto& r : p.rings) {
    if (open_ring(r).size() < 3) return "a ring has fewer than 3 distinct vertices";
    for (const auto& g : r) {
      if (!std::isfinite(g.lat_deg) || !std::isfinite(g.lon_deg) || std::fabs(g.lat_deg) > 90 ||
          std::fabs(g.lon_deg) > 180) {
        return "a vertex is outside lat [-90, 90] / lon [-180, 180]";
      }
    }
  }
  Vec3 m, e, f;
  polygon_frame(p, &m, &e, &f);
  for (const auto& r : p.rings) {
    for (const auto& g : r) {
      if (dot(to_vec(g), m) < 0.2) return "polygon too large (must lie within ~78 degrees of its centre)";
    }
  }
  return "";
}

namespace {

std::string parse_ring(const nlohmann::json& j, std::vector<GeoPoint>* out) {
  if (!j.is_array()) return "a linear ring is not an array";
  if (j.size() < 4) return "a linear ring needs at least 4 positions";
  if (j.size() > 100000) return "a linear ring is too long";
  for (const auto& pos : j) {
    if (!pos.is_array() || pos.size() < 2 || !pos[0].is_number() || !pos[1].is_number()) {
      return "a position is not [lon, lat]";
    }
    out->push_back({pos[1].get<double>(), pos[0].get<double>()});
  }
  const auto& a = out->front();
  const auto& b = out->back();
  if (a.lat_deg != b.lat_deg || a.lon_deg != b.lon_deg) return "a linear ring is not closed";
  return "";
}

std::string parse_polygon_coords(const nlohmann::json& c, const std::string& name, std::vector<Zone>* out) {
  if (!c.is_array() || c.empty()) return "Polygon coordinates must be a non-empty array of rings";
  Zone z;
  z.kind = Zone::Kind::kPolygon;
  z.polygon.name = name;
  for (const auto& r : c) {
    std::vector<GeoPoint> ring;
    std::string e = parse_ring(r, &ring);
    if (!e.empty()) return e;
    z.polygon.rings.push_back(std::move(ring));
  }
  std::string v = validate_polygon(z.polygon);
  if (!v.empty()) return v;
  out->push_back(std::move(z));
  return "";
}

std::string parse_geometry(const nlohmann::json& g, const std::string& name, std::vector<Zone>* out, int depth) {
  if (depth > 4) return "GeoJSON nested too deeply";
  if (!g.is_object() || !g.contains("type") || !g["type"].is_string()) return "GeoJSON object without a \"type\"";
  const std::string type = g["type"].get<std::string>();
  if (type == "Polygon") {
    if (!g.contains("coordinates")) return "Polygon without \"coordinates\"";
    return parse_polygon_coords(g["coordinates"], name, out);
  }
  if (type == "MultiPolygon") {
    if (!g.contains("coordinates") || !g["coordinates"].is_array()) return "MultiPolygon without coordinates array";
    size_t k = 0;
    for (const auto& pc : g["coordinates"]) {
      std::string e = parse_polygon_coords(pc, name + "#" + std::to_string(k++), out);
      if (!e.empty()) return e;
    }
    return k == 0 ? "MultiPolygon without polygons" : "";
  }
  if (type == "Feature") {
    std::string n = name;
    if (g.contains("properties") && g["properties"].is_object() && g["properties"].contains("name") &&
        g["properties"]["name"].is_string()) {
      n = g["properties"]["name"].get<std::string>();
    }
    if (!g.contains("geometry")) return "Feature without \"geometry\"";
    return parse_geometry(g["geometry"], n, out, depth + 1);
  }
  if (type == "FeatureCollection") {
    if (!g.contains("features") || !g["features"].is_array() || g["features"].empty()) {
      return "FeatureCollection without features";
    }
    size_t k = 0;
    for (const auto& f : g["features"]) {
      std::string e = parse_geometry(f, name + "#" + std::to_string(k++), out, depth + 1);
      if (!e.empty()) return e;
    }
    return "";
  }
  return "unsupported GeoJSON type \"" + type + "\" (Polygon, MultiPolygon, Feature, FeatureCollection)";
}

}  // namespace

std::string parse_geojson(const std::string& text, const std::string& name, std::vector<Zone>* out) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return "GeoJSON is not valid JSON";
  std::vector<Zone> tmp;
  std::string e = parse_geometry(j, name, &tmp, 0);
  if (!e.empty()) return e;
  out->insert(out->end(), tmp.begin(), tmp.end());
  return "";
}

}  // namespace locus::location
