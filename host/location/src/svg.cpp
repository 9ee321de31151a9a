// SVG rendering of a location verdict.
#include "locus/location/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace locus::location {
namespace {

constexpr double kW = 900, kH = 700, kMapH = 560;  // map area: 0..kW x 0..kMapH; text below

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n') o += c;
    }
  }
  return o;
}

std::string num(double v) {
  char b[32];
  (void)std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

struct Proj {
  double lat0 = 0, lon0 = 0, k = 1, coslat = 1;
  double ux(double lon) const {
    const double d = std::remainder(lon - lon0, 360.0);
    return kW / 2 + d * coslat * k;
  }
  double uy(double lat) const { return kMapH / 2 - (lat - lat0) * k; }
};

double nice(double raw) {
  const double e = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * e >= raw) return m * e;
  }
  return 10 * e;
}

std::string polyline(const Proj& pr, const std::vector<GeoPoint>& pts, bool closed) {
  std::string s;
  for (size_t i = 0; i < pts.size(); ++i) {
    s += (i == 0 ? "M" : "L") + num(pr.ux(pts[i].lon_deg)) + "," + num(pr.uy(pts[i].lat_deg)) + " ";
  }
  if (closed) s += "Z";
  return s;
}

// The cap the decision uses for a disc of WGS84 radius r_km (stretch = sphere_stretch_max()
// for landmark discs and forbidden discs, sphere_stretch_min() for approved discs).
std::vector<GeoPoint> circle(const GeoPoint& c, double r_km, double stretch) {
  std::vector<GeoPoint> o;
  for (int i = 0; i <= 180; ++i) o.push_back(destination(c, r_km * stretch, 2 * kPi * i / 180.0));
  return o;
}

// A ring as RFC 7946 means it: straight lines in (lon, lat), so straight lines in this
// equirectangular view. Longitudes are unwrapped along the ring (an edge from 170 to 180 and
// one from -180 to -170 in another polygon land side by side).
std::string ring_path(const Proj& pr, const std::vector<GeoPoint>& ring) {
  std::string s;
  if (ring.empty()) return s;
  double x = pr.ux(ring[0].lon_deg);
  for (size_t i = 0; i < ring.size(); ++i) {
    if (i > 0) x += (ring[i].lon_deg - ring[i - 1].lon_deg) * pr.coslat * pr.k;
    s += (i == 0 ? "M" : "L") + num(x) + "," + num(pr.uy(ring[i].lat_deg)) + " ";
  }
  return s + "Z";
}

void extend(std::vector<GeoPoint>* pts, const Zone& z) {
  if (z.kind == Zone::Kind::kDisc) {
    for (double b : {0.0, kPi / 2, kPi, 3 * kPi / 2})
      pts->push_back(destination(z.disc.center, z.disc.radius_km, b));
  } else {
    for (const auto& part : z.polygon.parts) {
      if (!part.rings.empty()) pts->insert(pts->end(), part.rings[0].begin(), part.rings[0].end());
    }
  }
}

std::string lat_label(double v) {
  char b[32];
  (void)std::snprintf(b, sizeof b, "%g°%c", std::fabs(std::round(v * 1e6) / 1e6),
                      v < 0 ? 'S' : 'N');
  return b;
}
std::string lon_label(double v) {
  v = std::remainder(v, 360.0);
  char b[32];
  (void)std::snprintf(b, sizeof b, "%g°%c", std::fabs(std::round(v * 1e6) / 1e6),
                      v < 0 ? 'W' : 'E');
  return b;
}

}  // namespace

std::string render_svg(const LocationVerdict& v, const LocationPolicy& p,
                       const std::string& title) {
  // The feasible region's boundary, from the verdict's discs (the verdict does not carry it).
  const std::vector<GeoPoint> outline = region_outline(v.discs);
  // View: the feasible region and the approved zones; without a region, the landmarks.
  std::vector<GeoPoint> focus = outline;
  for (const auto& z : p.zones) extend(&focus, z);
  if (outline.empty()) {
    for (const auto& d : v.discs) focus.push_back(d.center);
  }
  if (focus.empty()) focus.push_back({0, 0});
  Proj pr;
  {
    double sx = 0, sy = 0, sz = 0;
    for (const auto& g : focus) {
      const Vec3 u = to_vec(g);
      sx += u.x;
      sy += u.y;
      sz += u.z;
    }
    const GeoPoint c = to_geo({sx, sy, sz});
    pr.lat0 = std::max(-80.0, std::min(80.0, c.lat_deg));
    pr.lon0 = c.lon_deg;
    pr.coslat = std::cos(pr.lat0 * kPi / 180);
    double half_w = 0.05, half_h = 0.05;  // degrees, minimum view about 10 km
    for (const auto& g : focus) {
      half_w = std::max(half_w, std::fabs(std::remainder(g.lon_deg - pr.lon0, 360.0)) * pr.coslat);
      half_h = std::max(half_h, std::fabs(g.lat_deg - pr.lat0));
    }
    pr.k = std::min(kW / 2 / (half_w * 1.3), kMapH / 2 / (half_h * 1.3));
  }
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
    << "\" viewBox=\"0 0 " << kW << " " << kH << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<title>" << esc(title) << "</title>\n"
    << "<defs><clipPath id=\"map\"><rect x=\"0\" y=\"0\" width=\"" << kW << "\" height=\"" << kMapH
    << "\"/></clipPath></defs>\n"
    << "<rect x=\"0\" y=\"0\" width=\"" << kW << "\" height=\"" << kH << "\" fill=\"#ffffff\"/>\n"
    << "<rect x=\"0\" y=\"0\" width=\"" << kW << "\" height=\"" << kMapH
    << "\" fill=\"#f4f8fb\" stroke=\"#999\"/>\n"
    << "<g clip-path=\"url(#map)\">\n";
  // Grid with labels.
  const double span_lat = kMapH / pr.k, span_lon = kW / (pr.k * pr.coslat);
  const double step_lat = nice(span_lat / 6), step_lon = nice(span_lon / 6);
  o << "<g id=\"grid\" stroke=\"#d0d7de\" stroke-width=\"1\">\n";
  const double lat_min = pr.lat0 - span_lat / 2, lon_min = pr.lon0 - span_lon / 2;
  for (int i = 0; i < 40; ++i) {
    const double lat = std::ceil(lat_min / step_lat) * step_lat + i * step_lat;
    if (lat > pr.lat0 + span_lat / 2) break;
    const double y = pr.uy(lat);
    o << "<line x1=\"0\" y1=\"" << num(y) << "\" x2=\"" << kW << "\" y2=\"" << num(y) << "\"/>"
      << "<text x=\"4\" y=\"" << num(y - 3) << "\" fill=\"#57606a\" stroke=\"none\">"
      << esc(lat_label(lat)) << "</text>\n";
  }
  for (int i = 0; i < 40; ++i) {
    const double lon = std::ceil(lon_min / step_lon) * step_lon + i * step_lon;
    if (lon > pr.lon0 + span_lon / 2) break;
    const double x = pr.ux(lon);
    o << "<line x1=\"" << num(x) << "\" y1=\"0\" x2=\"" << num(x) << "\" y2=\"" << kMapH << "\"/>"
      << "<text x=\"" << num(x + 3) << "\" y=\"" << num(kMapH - 4)
      << "\" fill=\"#57606a\" stroke=\"none\">" << esc(lon_label(lon)) << "</text>\n";
  }
  o << "</g>\n";
  auto draw_zone = [&](const Zone& z, const char* fill, const char* stroke, const char* cls,
                       double stretch) {
    std::string d;
    if (z.kind == Zone::Kind::kDisc) {
      d = polyline(pr, circle(z.disc.center, z.disc.radius_km, stretch), true);
    } else {
      for (const auto& part : z.polygon.parts) {
        for (const auto& ring : part.rings) d += ring_path(pr, ring) + " ";
      }
    }
    o << "<path class=\"" << cls << "\" d=\"" << d << "\" fill=\"" << fill
      << "\" fill-rule=\"evenodd\" stroke=\"" << stroke << "\" stroke-width=\"1.5\"><title>"
      << esc(std::string(cls) + " " + z.name()) << "</title></path>\n";
  };
  for (const auto& z : p.zones)
    draw_zone(z, "rgba(46,160,67,0.25)", "#2ea043", "zone", sphere_stretch_min());
  for (const auto& z : p.forbidden)
    draw_zone(z, "rgba(207,34,46,0.25)", "#cf222e", "forbidden", sphere_stretch_max());
  for (const auto& d : v.discs) {
    o << "<path class=\"disc\" d=\""
      << polyline(pr, circle(d.center, d.radius_km, sphere_stretch_max()), true)
      << "\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.2\" stroke-dasharray=\"6 3\"><title>"
      << esc(d.landmark_id + ": radius " + num(d.radius_km) + " km") << "</title></path>\n";
  }
  if (!outline.empty()) {
    o << "<path class=\"feasible\" d=\"" << polyline(pr, outline, true)
      << "\" fill=\"rgba(251,143,68,0.55)\" stroke=\"#bc4c00\" stroke-width=\"2\"><title>feasible "
         "region</title></path>\n";
  }
  for (const auto& d : v.discs) {
    const double x = pr.ux(d.center.lon_deg), y = pr.uy(d.center.lat_deg);
    o << "<g class=\"landmark\"><path d=\"M" << num(x) << "," << num(y - 7) << " L" << num(x - 6)
      << "," << num(y + 5) << " L" << num(x + 6) << "," << num(y + 5)
      << " Z\" fill=\"#0969da\"/><text x=\"" << num(x + 8) << "\" y=\"" << num(y + 4)
      << "\" fill=\"#0a3069\">" << esc(d.landmark_id) << "</text></g>\n";
  }
  o << "</g>\n";
  // Scale bar (true at the centre latitude).
  const double km_per_px = kEarthRadiusKm * kPi / 180.0 / pr.k;
  const double bar_km = nice(km_per_px * kW / 6);
  const double bar_px = bar_km / km_per_px;
  o << "<g id=\"scale\"><rect x=\"" << num(kW - bar_px - 30) << "\" y=\"" << num(kMapH - 40)
    << "\" width=\"" << num(bar_px + 20)
    << "\" height=\"30\" fill=\"#ffffff\" fill-opacity=\"0.8\"/><line x1=\""
    << num(kW - bar_px - 20) << "\" y1=\"" << num(kMapH - 18) << "\" x2=\"" << num(kW - 20)
    << "\" y2=\"" << num(kMapH - 18) << "\" stroke=\"#000\" stroke-width=\"3\"/><text x=\""
    << num(kW - bar_px - 20) << "\" y=\"" << num(kMapH - 24) << "\">" << num(bar_km)
    << " km</text></g>\n";
  // Verdict and reasons.
  o << "<g id=\"verdict\"><text x=\"10\" y=\"" << num(kMapH + 20)
    << "\" font-size=\"15\" font-weight=\"bold\" fill=\"" << (v.approved ? "#1a7f37" : "#cf222e")
    << "\">" << (v.approved ? "APPROVED" : "REFUSED") << " — " << esc(title) << "</text>\n";
  // One line per reason, 15 px apart, as many as fit above the bottom edge.
  for (size_t i = 0; i < v.reasons.size(); ++i) {
    const double y = kMapH + 38 + 15 * static_cast<double>(i);
    if (y >= kH - 4) break;
    o << "<text x=\"10\" y=\"" << num(y) << "\">" << esc(v.reasons[i]) << "</text>\n";
  }
  o << "</g>\n</svg>\n";
  return o.str();
}

}  // namespace locus::location
