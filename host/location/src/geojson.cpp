// GeoJSON (RFC 7946) parsing for location zones; see geojson.h.
#include "locus/location/geojson.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "locus/common/json_read.h"

namespace locus::location {

using host::HostError;
using host::HostResult;
using host::HStatus;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxPositions = 100000;
constexpr int kMaxDepth = 4;

HStatus bad(const std::string& m) {
  return {HostError::kConfig, m};
}

HStatus parse_ring(const json& j, std::vector<GeoPoint>* out) {
  if (!j.is_array()) return bad("a linear ring is not an array of positions");
  if (j.size() < 4) return bad("a linear ring needs at least 4 positions (RFC 7946 §3.1.6)");
  if (j.size() > kMaxPositions)
    return bad("a linear ring has more than " + std::to_string(kMaxPositions) + " positions");
  for (const auto& pos : j) {
    if (!pos.is_array() || pos.size() < 2 || !pos[0].is_number() || !pos[1].is_number()) {
      return bad("a position is not [lon, lat] numbers");
    }
    const double lon = pos[0].get<double>(), lat = pos[1].get<double>();
    if (!std::isfinite(lon) || !std::isfinite(lat) || std::fabs(lat) > 90 || std::fabs(lon) > 180) {
      return bad("a position is outside lon [-180, 180] / lat [-90, 90]");
    }
    out->push_back({lat, lon});
  }
  const auto& a = out->front();
  const auto& b = out->back();
  if (a.lat_deg != b.lat_deg || a.lon_deg != b.lon_deg)
    return bad("a linear ring is not closed (first != last position)");
  return HStatus::Ok();
}

HStatus parse_polygon_coords(const json& c, Polygon* out) {
  if (!c.is_array() || c.empty())
    return bad("Polygon coordinates must be a non-empty array of linear rings");
  for (const auto& r : c) {
    std::vector<GeoPoint> ring;
    HStatus s = parse_ring(r, &ring);
    if (!s.ok()) return s;
    out->rings.push_back(std::move(ring));
  }
  return HStatus::Ok();
}

HStatus add_zone(const std::string& name, std::vector<Polygon> parts, std::vector<Zone>* out) {
  auto z = make_polygon_zone(name, std::move(parts));
  if (!z.ok()) return z.status();
  out->push_back(std::move(z.value()));
  return HStatus::Ok();
}

HStatus parse_geometry(const json& g, const std::string& name, std::vector<Zone>* out, int depth) {
  if (depth > kMaxDepth) return bad("GeoJSON nested too deeply");
  if (!g.is_object() || !g.contains("type") || !g["type"].is_string())
    return bad("GeoJSON object without a \"type\"");
  const std::string type = g["type"].get<std::string>();
  if (type == "Polygon") {
    if (!g.contains("coordinates")) return bad("Polygon without \"coordinates\"");
    Polygon p;
    HStatus s = parse_polygon_coords(g["coordinates"], &p);
    if (!s.ok()) return s;
    return add_zone(name, {std::move(p)}, out);
  }
  if (type == "MultiPolygon") {
    if (!g.contains("coordinates") || !g["coordinates"].is_array() || g["coordinates"].empty()) {
      return bad("MultiPolygon without a non-empty \"coordinates\" array");
    }
    std::vector<Polygon> parts;
    for (const auto& pc : g["coordinates"]) {
      Polygon p;
      HStatus s = parse_polygon_coords(pc, &p);
      if (!s.ok()) return s;
      parts.push_back(std::move(p));
    }
    return add_zone(name, std::move(parts), out);
  }
  if (type == "Feature") {
    std::string n = name;
    if (g.contains("properties") && g["properties"].is_object() &&
        g["properties"].contains("name") && g["properties"]["name"].is_string() &&
        !g["properties"]["name"].get<std::string>().empty()) {
      n = g["properties"]["name"].get<std::string>();
    }
    if (!g.contains("geometry") || g["geometry"].is_null())
      return bad("Feature without a \"geometry\"");
    return parse_geometry(g["geometry"], n, out, depth + 1);
  }
  if (type == "FeatureCollection") {
    if (!g.contains("features") || !g["features"].is_array() || g["features"].empty()) {
      return bad("FeatureCollection without features");
    }
    size_t k = 0;
    for (const auto& f : g["features"]) {
      if (!f.is_object() || !f.contains("type") || f["type"] != "Feature")
        return bad("a FeatureCollection member is not a Feature");
      HStatus s = parse_geometry(f, name + "#" + std::to_string(k++), out, depth + 1);
      if (!s.ok()) return s;
    }
    return HStatus::Ok();
  }
  return bad("unsupported GeoJSON type \"" + type +
             "\" (Polygon, MultiPolygon, Feature, FeatureCollection)");
}

}  // namespace

HostResult<std::vector<Zone>> parse_geojson(const std::string& text, const std::string& name) {
  json j = locus::host::parse_json(text);
  if (j.is_discarded()) return {HostError::kConfig, "GeoJSON is not valid JSON"};
  std::vector<Zone> zones;
  HStatus s = parse_geometry(j, name, &zones, 0);
  if (!s.ok()) return s;
  return zones;
}

}  // namespace locus::location
