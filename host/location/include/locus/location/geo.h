// locus/location/geo.h: exact, conservative geometry for the location verdict (DESIGN §4,
// docs/location.md §2).
//
// The Earth is the WGS84 ellipsoid. Positions are WGS84 geodetic (lat, lon) and every radius
// (landmark disc, zone, forbidden disc) is a WGS84 geodesic distance. The computation runs on
// the sphere of radius kEarthRadiusKm through the identity map (lat, lon) -> (lat, lon), whose
// local stretch lies between sphere_stretch_min() = R·sqrt(1-e²)/a and sphere_stretch_max() =
// R/(a(1-e²)) everywhere (the meridian and prime-vertical radii of curvature bound it). So for
// any two points  stretch_min·geodesic <= great-circle <= stretch_max·geodesic, and:
//   - a landmark disc of WGS84 radius r lies inside the cap of radius r·stretch_max;
//   - an approved disc zone of radius ρ contains the cap of radius ρ·stretch_min;
//   - a forbidden disc of radius ρ lies inside the cap of radius ρ·stretch_max;
//   - polygons (RFC 7946: edges straight in lon/lat) are the same sets on both surfaces.
// Every approximation below therefore enlarges the feasible region F or shrinks what is
// approved: decisions can only lean towards refusal.
//
// F is the intersection of caps; its boundary is covered by circle pieces ("arcs") that are
// split at guaranteed enclosures of the circle crossings (haversine form, no cos cancellation
// at small radii), so the pieces cover ∂F exactly. Decisions:
//   - disc zone Z:      F ⊆ Z  <=>  the farthest point of ∂F from Z's centre is inside Z;
//   - polygon zone P:   F ⊆ P  <=>  ∂F_ε meets no edge of P', no ring vertex of P lies in F_ε,
//                       and a point of F is in P, where P' is P with each lon/lat edge
//                       replaced by great-circle chords within ε of it and F_ε is F with every
//                       radius enlarged by ε (so F_ε contains the ε-neighbourhood of F);
//   - forbidden disc:   the nearest point of F to its centre is outside it;
//   - forbidden polygon: as the polygon zone with "a point of F is outside P".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::location {

constexpr double kEarthRadiusKm = 6371.0088;     // IUGG mean radius R of the computing sphere
constexpr double kLightKmPerNs = 299792.458e-9;  // vacuum, km per ns
constexpr double kPi = 3.14159265358979323846;
constexpr double kWgs84AKm = 6378.137;           // WGS84 semi-major axis a
constexpr double kWgs84F = 1.0 / 298.257223563;  // WGS84 flattening f

// Bounds of (great-circle distance on the R sphere) / (WGS84 geodesic distance) between the
// same geodetic (lat, lon) points: R·sqrt(1-e²)/a = 0.995533 and R/(a(1-e²)) = 1.005614.
double sphere_stretch_min();
double sphere_stretch_max();

struct GeoPoint {
  double lat_deg = 0;
  double lon_deg = 0;
};

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

Vec3 to_vec(const GeoPoint& p);
GeoPoint to_geo(const Vec3& v);
// Great-circle distance on the R sphere (km).
double distance_km(const GeoPoint& a, const GeoPoint& b);
double distance_km(const Vec3& a, const Vec3& b);
// The point d_km from p along the initial bearing (radians from north) on the R sphere.
GeoPoint destination(const GeoPoint& p, double d_km, double bearing_rad);
// WGS84 geodesic distance (Karney's algorithm, GeographicLib), km.
double wgs84_distance_km(const GeoPoint& a, const GeoPoint& b);
// The point at WGS84 geodesic distance d_km from p along the azimuth (radians from north).
GeoPoint wgs84_destination(const GeoPoint& p, double d_km, double azimuth_rad);
// "1.520N 103.900E"
std::string format_point(const GeoPoint& p);

// Margin added to every landmark radius by policy: radius = r * (1 + fraction) + km. The
// Earth-model error needs none (it is covered by the stretch bounds above); a margin is for
// what the operator knows beyond the geometry (e.g. landmark position uncertainty).
struct Margin {
  double fraction = 0;
  double km = 0;
};
// c * rtt / 2, no margin.
double rtt_to_km(double rtt_ns);
double inflate(double radius_km, const Margin& m);

struct Disc {
  std::string name;
  GeoPoint center;
  double radius_km = 0;  // WGS84 geodesic
};

// One GeoJSON polygon: rings[0] outer, rings[1..] holes; each ring closed (first == last) or
// not. Edges are straight lines in (lon, lat) as RFC 7946 says.
struct Polygon {
  std::vector<std::vector<GeoPoint>> rings;
};

struct PolygonPrep;  // densified edges and bounds, built by make_polygon_zone

// An approved or forbidden area made of polygons: the union of `parts` (a MultiPolygon, e.g.
// the two halves of an area split at the antimeridian, RFC 7946 §3.1.9).
struct PolygonZone {
  std::string name;
  std::vector<Polygon> parts;
  std::shared_ptr<const PolygonPrep> prep;
  // The bound ε (km) by which the great-circle chords used in the checks may deviate from the
  // lon/lat edges; 0 before make_polygon_zone.
  double chord_bound_km() const;
};

struct Zone {
  enum class Kind { kDisc, kPolygon };
  Kind kind = Kind::kDisc;
  Disc disc;
  PolygonZone polygon;
  const std::string& name() const { return kind == Kind::kDisc ? disc.name : polygon.name; }
};

// Validates the polygons (positions in range, rings of >= 3 distinct vertices, no edge wider
// than 180° of longitude except a full -180..180 parallel) and densifies every edge.
host::HostResult<Zone> make_polygon_zone(const std::string& name, std::vector<Polygon> parts);

// True if (lon, lat) of p is inside the union of the polygons (even-odd rule per polygon,
// holes excluded), with RFC 7946 semantics: planar in (lon, lat).
bool polygon_contains(const PolygonZone& z, const GeoPoint& p);

// One boundary piece of the feasible region: circle `circle` (index into discs()) from angle
// t0 to t1 (radians, t1 > t0, counter-clockwise around the disc centre).
struct Arc {
  size_t circle = 0;
  double t0 = 0, t1 = 0;
};

// The intersection of caps.
class Region {
 public:
  // Discs carry WGS84 radii; each becomes the cap of radius radius·stretch_max (+ extra_rad,
  // radians, used for F_ε). Discs whose cap would reach a quarter of the circumference are
  // dropped (dropping a disc only enlarges F, the safe direction).
  explicit Region(const std::vector<Disc>& discs, double extra_rad = 0);

  // No point was found strictly inside every cap (F empty, or thinner than ~1e-9 of the
  // radii: refused either way).
  bool empty() const { return empty_; }
  // True if no disc constrained F (all dropped or none given).
  bool unbounded() const { return unbounded_; }
  const std::vector<Arc>& arcs() const { return arcs_; }
  const std::vector<Disc>& discs() const { return discs_; }
  // Angular radius (radians) of cap i on the sphere.
  double cap_rad(size_t i) const;
  // Point on circle `circle` at angle t.
  Vec3 point(size_t circle, double t) const;
  // True if p is in every cap enlarged by slack_rad.
  bool contains(const Vec3& p, double slack_rad = 0) const;
  // A point strictly inside every cap (valid when !empty() && !unbounded()).
  Vec3 witness() const { return witness_; }
  // Boundary polyline (for drawing), about `per_arc` points per arc.
  std::vector<GeoPoint> outline(size_t per_arc = 48) const;
  // Rough centre, for labels and projections.
  GeoPoint centroid() const;

  struct Check {
    bool ok = false;
    GeoPoint witness;    // a point of (or next to) F that causes the failure, or the worst point
    double km = 0;       // how far outside / inside (context-dependent, >= 0)
    std::string detail;  // e.g. "feasible point 1.452N 103.902E lies 12.3 km outside zone 'sg-dc'"
  };
  Check inside(const Zone& z) const;    // F inside the zone
  Check disjoint(const Zone& z) const;  // F disjoint from the zone

 private:
  struct Circle {
    Vec3 c, u, v;  // centre and an orthonormal basis of the tangent plane at c
    double a = 0;  // angular radius
    double cos_a = 1, sin_a = 0;
    // Fast pre-test (caps >= 1e-4 rad only): p·c >= cos_in means clearly inside, <= cos_out
    // clearly outside (gaps of >= 5e-12 against a dot-product error of ~4e-16).
    double cos_in = 2, cos_out = -2;
    bool used = false;
  };
  Check inside_disc(const Disc& d) const;
  Check inside_polygon(const PolygonZone& p) const;
  Check disjoint_disc(const Disc& d) const;
  Check disjoint_polygon(const PolygonZone& p) const;
  // Largest (farthest=true) or smallest angle from q over an arc; the point in *at.
  double arc_extreme(const Arc& arc, const Vec3& q, bool farthest, Vec3* at) const;
  // Whether some arc meets an edge of the prepared polygon (ignoring antimeridian cuts that
  // are interior to the union when `approved`).
  bool arcs_meet_polygon(const PolygonZone& p, bool approved, Vec3* at) const;

  std::vector<Disc> discs_;
  std::vector<Circle> circles_;
  std::vector<Arc> arcs_;
  Vec3 witness_{1, 0, 0};
  double extra_rad_ = 0;
  bool empty_ = true;
  bool unbounded_ = false;
};

}  // namespace locus::location
