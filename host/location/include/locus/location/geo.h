// locus/location/geo.h: exact, conservative geometry on a spherical Earth (DESIGN §4).
//
// Model: a sphere of radius kEarthRadiusKm (IUGG mean radius). Great-circle distances on it
// differ from WGS84 ellipsoid geodesics by less than 0.5 %; policies inflate every landmark
// radius by a stated margin (Margin) to cover that (docs/location.md).
//
// A landmark disc is a spherical cap {p : angle(p, centre) <= radius/R}. The feasible region
// F is the intersection of caps; its boundary is a closed chain of small-circle arcs. All
// decisions (F inside a zone, F disjoint from a forbidden region) are exact up to a tiny
// numerical tolerance, and that tolerance always leans towards "refuse":
//   - cap zone Z:        F ⊆ Z  <=>  the farthest point of ∂F from Z's centre is inside Z;
//                        the farthest point lies at an arc end or at the circle's antipode-
//                        side point (the candidate points of DESIGN §4).
//   - polygon zone P:    F ⊆ P  <=>  no arc of ∂F meets an edge of P, one point of ∂F is
//                        inside P and no vertex of any ring of P lies in F.
//   - cap forbidden G:   F ∩ G = ∅ <=> the nearest point of F to G's centre is outside G.
//   - polygon forbidden: F ∩ P = ∅ <=> no arc meets an edge, one point of F is outside P and
//                        no vertex of P is inside F.
// Polygon edges are great-circle arcs (geodesics), not RFC 7946's lon/lat straight lines;
// for zone-sized polygons the difference is metres, and long edges should be densified.
#pragma once

#include <string>
#include <vector>

namespace locus::location {

constexpr double kEarthRadiusKm = 6371.0088;
constexpr double kLightKmPerNs = 299792.458e-9;  // vacuum, km per ns
constexpr double kPi = 3.14159265358979323846;

struct GeoPoint {
  double lat_deg = 0;
  double lon_deg = 0;
};

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

Vec3 to_vec(const GeoPoint& p);
GeoPoint to_geo(const Vec3& v);
// Great-circle distance on the sphere (km).
double distance_km(const GeoPoint& a, const GeoPoint& b);
double distance_km(const Vec3& a, const Vec3& b);
// The point d_km from p along the initial bearing (radians, clockwise from north).
GeoPoint destination(const GeoPoint& p, double d_km, double bearing_rad);
// Points along the great-circle arc a..b (n >= 2 points, both ends included).
std::vector<GeoPoint> geodesic(const GeoPoint& a, const GeoPoint& b, size_t n);
// "1.520N 103.900E"
std::string format_point(const GeoPoint& p);

// Margin added to every landmark radius: radius = r * (1 + fraction) + km.
struct Margin {
  double fraction = 0.005;
  double km = 1.0;
};
// c * rtt / 2, no margin.
double rtt_to_km(double rtt_ns);
double inflate(double radius_km, const Margin& m);

struct Disc {
  std::string name;
  GeoPoint center;
  double radius_km = 0;
};

// A GeoJSON-style polygon: rings[0] outer, rings[1..] holes. Rings may be closed (first ==
// last) or not; edges are great-circle arcs.
struct Polygon {
  std::string name;
  std::vector<std::vector<GeoPoint>> rings;
};

struct Zone {
  enum class Kind { kDisc, kPolygon };
  Kind kind = Kind::kDisc;
  Disc disc;
  Polygon polygon;
  const std::string& name() const { return kind == Kind::kDisc ? disc.name : polygon.name; }
};

// One boundary arc of the feasible region: on circle `circle` (index into the discs), from
// angle t0 to t1 (radians, t1 > t0, counter-clockwise around the disc centre; a full circle
// is 0..2π).
struct Arc {
  size_t circle = 0;
  double t0 = 0, t1 = 0;
};

// The intersection of caps.
class Region {
 public:
  // Builds the region from discs (radius already inflated). Discs with a radius of a
  // quarter of the Earth's circumference or more are dropped (they constrain nothing a
  // zone could use; dropping a disc only enlarges F, which is the safe direction).
  explicit Region(const std::vector<Disc>& discs);

  bool empty() const { return empty_; }
  // True if no disc constrained F (all dropped or none given): F is the whole sphere.
  bool unbounded() const { return unbounded_; }
  const std::vector<Arc>& arcs() const { return arcs_; }
  const std::vector<Disc>& discs() const { return discs_; }
  // Point on circle `circle` at angle t.
  Vec3 point(size_t circle, double t) const;
  // True if p is in every cap (with tolerance `slack_rad` added to each radius).
  bool contains(const Vec3& p, double slack_rad = 0) const;
  // Some point of F (an arc's start), valid when !empty() && !unbounded().
  Vec3 some_point() const;
  // Boundary polyline (for drawing), about `per_arc` points per arc.
  std::vector<GeoPoint> outline(size_t per_arc = 48) const;
  // Rough centre (mean of arc start points), for labels and projections.
  GeoPoint centroid() const;

  // Result of a check with a witness for the reason text.
  struct Check {
    bool ok = false;
    GeoPoint witness;      // a point of F that causes the failure (or the worst point)
    double km = 0;         // how far outside / inside (context-dependent, >= 0)
    std::string detail;    // e.g. "lies 12.3 km outside zone 'sg-dc'"
  };
  // F inside the zone.
  Check inside(const Zone& z) const;
  // F disjoint from the region.
  Check disjoint(const Zone& z) const;

 private:
  struct Circle {
    Vec3 c, u, v;   // centre and an orthonormal basis of the circle's plane
    double a = 0;   // angular radius
    double cos_a = 1, sin_a = 0;
  };
  Check inside_disc(const Disc& d) const;
  Check inside_polygon(const Polygon& p) const;
  Check disjoint_disc(const Disc& d) const;
  Check disjoint_polygon(const Polygon& p) const;
  // Farthest (max=true) or nearest point of arc from q; returns the dot product with q.
  double arc_extreme(const Arc& arc, const Vec3& q, bool farthest, Vec3* at) const;
  bool arc_meets_polygon(const Arc& arc, const Polygon& p, Vec3* at) const;

  std::vector<Disc> discs_;
  std::vector<Circle> circles_;
  std::vector<Arc> arcs_;
  bool empty_ = true;
  bool unbounded_ = false;
};

// Point in a spherical polygon (ring 0 minus holes). Polygons must fit in a hemisphere
// around the mean of their outer-ring vertices (validate_polygon checks it).
bool polygon_contains(const Polygon& p, const Vec3& q);
// Empty string if the polygon is usable, else why not.
std::string validate_polygon(const Polygon& p);
// Parses GeoJSON text: a Polygon, MultiPolygon, Feature or FeatureCollection of those.
// Each polygon becomes one zone named `name` (with "#k" appended when there are several,
// or the Feature's "name" property). Returns an empty string on success, else the error.
std::string parse_geojson(const std::string& text, const std::string& name, std::vector<Zone>* out);

}  // namespace locus::location
