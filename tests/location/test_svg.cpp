// SVG explain picture: produced for approved, refused and empty verdicts, well-formed XML
// (parsed by python3's xml.etree), with one disc outline per landmark, the zone, the
// forbidden region, the feasible region (computed from the discs: the verdict carries no
// outline), grid labels and a scale bar.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "locus/location/geojson.h"
#include "locus/location/location.h"
#include "locus/location/svg.h"
#include "locus_test/cmocka.h"

using namespace locus::location;

namespace {

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

// Writes svg to a temp file and asks python3 to parse it; returns the exit status.
int xml_parse(const std::string& svg) {
  char path[] = "/tmp/locus-svg-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  std::ofstream(path) << svg;
  const std::string cmd =
      std::string(
          "python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
          "sys.exit(0 if r.tag.endswith(\"svg\") else 3)' ") +
      path;
  const int rc = std::system(cmd.c_str());
  unlink(path);
  return rc;
}

DiscInfo disc(const std::string& id, GeoPoint c, double r) {
  DiscInfo d;
  d.landmark_id = id;
  d.center = c;
  d.radius_km = r;
  return d;
}

LocationPolicy policy() {
  LocationPolicy p;
  Zone z;
  z.disc = {"sg-dc", {1.3337, 103.7437}, 60};
  p.zones.push_back(z);
  auto poly = parse_geojson(
      R"({"type":"Polygon","coordinates":[[[113.8,22.3],[114.4,22.3],[114.4,22.8],[113.8,22.8],[113.8,22.3]]]})",
      "prc-south");
  assert_true(poly.ok());
  p.forbidden = poly.value();
  return p;
}

// Numbers of the "M x,y L x,y ... Z" path of the element with class `cls` (first one).
std::vector<double> path_numbers(const std::string& svg, const std::string& cls) {
  std::vector<double> out;
  size_t at = svg.find("class=\"" + cls + "\" d=\"");
  if (at == std::string::npos) return out;
  at = svg.find("d=\"", at) + 3;
  const size_t end = svg.find('"', at);
  std::string d = svg.substr(at, end - at);
  for (char& c : d)
    if (c == 'M' || c == 'L' || c == 'Z' || c == ',') c = ' ';
  std::istringstream is(d);
  double x = 0;
  while (is >> x) out.push_back(x);
  return out;
}

// The map draws what is decided: a polygon zone's edges are the straight lon/lat lines RFC 7946
// means (one path vertex per ring position: 5 for a closed box, all on 2 distinct x and 2
// distinct y values), and a MultiPolygon split at the antimeridian is drawn as two adjacent
// boxes (the right edge of one is the left edge of the other).
void test_svg_edges_as_meant(void**) {
  LocationPolicy p;
  auto z = parse_geojson(
      R"({"type":"Polygon","coordinates":[[[-124,41],[-95,41],[-95,49],[-124,49],[-124,41]]]})",
      "us");
  assert_true(z.ok());
  p.zones = z.value();
  auto v = evaluate({disc("a", {45, -110}, 50)}, p);
  const std::string svg = render_svg(v, p, "parallel");
  const auto n = path_numbers(svg, "zone");
  assert_int_equal(n.size(), 10);
  assert_true(std::fabs(n[1] - n[3]) < 1e-9);  // the 41°N edge is horizontal
  assert_true(std::fabs(n[5] - n[7]) < 1e-9);  // and so is the 49°N edge
  LocationPolicy q;
  auto s = parse_geojson(
      R"({"type":"MultiPolygon","coordinates":[[[[179,0],[180,0],[180,1],[179,1],[179,0]]],[[[-180,0],[-179,0],[-179,1],[-180,1],[-180,0]]]]})",
      "pac");
  assert_true(s.ok());
  q.zones = s.value();
  const std::string svg2 = render_svg(evaluate({disc("a", {0.5, 180}, 20)}, q), q, "split");
  const auto m = path_numbers(svg2, "zone");
  assert_int_equal(m.size(), 20);
  assert_true(std::fabs(m[2] - m[10]) <
              0.05);  // x of (180, 0) in part 1 == x of (-180, 0) in part 2
}

// Approved verdict: well-formed, 3 discs, zone, forbidden, feasible region, labels, scale bar.
void test_svg_approved(void**) {
  auto p = policy();
  auto v = evaluate({disc("sg-1 <&>", {1.3521, 103.8198}, 20), disc("kl-1", {3.139, 101.6869}, 480),
                     disc("jkt-1", {-6.2088, 106.8456}, 1350)},
                    p);
  assert_true(v.approved);
  const std::string svg = render_svg(v, p, "board 01ab & co");
  assert_int_equal(xml_parse(svg), 0);
  assert_int_equal(count(svg, "class=\"disc\""), 3);
  assert_int_equal(count(svg, "class=\"zone\""), 1);
  assert_int_equal(count(svg, "class=\"forbidden\""), 1);
  assert_int_equal(count(svg, "class=\"feasible\""), 1);
  assert_true(count(svg, "°N") + count(svg, "°S") >= 2);
  assert_true(count(svg, "°E") >= 2);
  assert_true(svg.find("id=\"scale\"") != std::string::npos);
  assert_true(svg.find("APPROVED") != std::string::npos);
  assert_true(svg.find("sg-1 &lt;&amp;&gt;") != std::string::npos);
}

// Refused and empty verdicts still draw (no feasible region when empty).
void test_svg_refused_and_empty(void**) {
  auto p = policy();
  auto v = evaluate(
      {disc("sg-1", {1.3521, 103.8198}, 4000), disc("hk-1", {22.3193, 114.1694}, 4100)}, p);
  assert_false(v.approved);
  std::string svg = render_svg(v, p, "refused");
  assert_int_equal(xml_parse(svg), 0);
  assert_true(svg.find("REFUSED") != std::string::npos);
  auto e = evaluate({disc("a", {1.35, 103.82}, 10), disc("b", {22.3, 114.2}, 10)}, p);
  assert_true(e.region_empty);
  svg = render_svg(e, p, "empty");
  assert_int_equal(xml_parse(svg), 0);
  assert_int_equal(count(svg, "class=\"feasible\""), 0);
  // Across the antimeridian.
  auto a = evaluate({disc("fj", {-17.7, 179.9}, 200)}, p);
  assert_int_equal(xml_parse(render_svg(a, p, "antimeridian")), 0);
}

// The verdict carries no outline (it is not part of the decision); the picture computes it from
// the discs: the feasible path has one vertex per point of region_outline(discs), each at the
// projection of that point (x linear in longitude, y in latitude, within the 0.01 px the
// path's two decimals allow), and a verdict rebuilt from only the JSON's discs (what `explain
// --decision` and the fleet page do) draws the same path.
void test_svg_feasible_from_discs(void**) {
  auto p = policy();
  const std::vector<DiscInfo> ds = {disc("sg-1", {1.3521, 103.8198}, 20),
                                    disc("sg-2", {1.30, 103.70}, 25),
                                    disc("sg-3", {1.40, 103.75}, 22)};
  auto v = evaluate(ds, p);
  assert_true(v.approved);
  assert_true(v.region_bounded);
  const nlohmann::json j = v.to_json();
  assert_false(j.contains("region_outline"));
  assert_true(j.contains("region_centroid"));
  const std::vector<GeoPoint> outline = region_outline(v.discs);
  assert_true(outline.size() >= size_t{147});  // 3 arcs, 49 points each
  const std::string svg = render_svg(v, p, "three");
  const auto n = path_numbers(svg, "feasible");
  assert_int_equal(n.size(), 2 * outline.size());
  size_t ix = 1, iy = 1;
  for (size_t i = 1; i < outline.size(); ++i) {
    if (std::fabs(outline[i].lon_deg - outline[0].lon_deg) >
        std::fabs(outline[ix].lon_deg - outline[0].lon_deg))
      ix = i;
    if (std::fabs(outline[i].lat_deg - outline[0].lat_deg) >
        std::fabs(outline[iy].lat_deg - outline[0].lat_deg))
      iy = i;
  }
  const double ax = (n[2 * ix] - n[0]) / (outline[ix].lon_deg - outline[0].lon_deg);
  const double ay = (n[2 * iy + 1] - n[1]) / (outline[iy].lat_deg - outline[0].lat_deg);
  assert_true(ax > 0 && ay < 0);
  assert_true(std::fabs(n[2 * ix] - n[0]) > 50);  // the region spans many pixels
  for (size_t i = 0; i < outline.size(); ++i) {
    const double x = n[0] + (outline[i].lon_deg - outline[0].lon_deg) * ax;
    const double y = n[1] + (outline[i].lat_deg - outline[0].lat_deg) * ay;
    if (std::fabs(n[2 * i] - x) > 0.02 || std::fabs(n[2 * i + 1] - y) > 0.02)
      fail_msg("vertex %zu at %.2f,%.2f, outline point projects to %.3f,%.3f", i, n[2 * i],
               n[2 * i + 1], x, y);
  }
  // From the JSON's discs only, as `locus verifier explain --decision` reads them.
  auto back = discs_from_json(nlohmann::json::parse(j.dump()));
  assert_true(back.ok());
  assert_int_equal(back.value().size(), 3);
  for (size_t i = 0; i < 3; ++i) {
    assert_string_equal(back.value()[i].landmark_id.c_str(), v.discs[i].landmark_id.c_str());
    assert_true(back.value()[i].center.lat_deg == v.discs[i].center.lat_deg);
    assert_true(back.value()[i].center.lon_deg == v.discs[i].center.lon_deg);
    assert_true(back.value()[i].radius_km == v.discs[i].radius_km);
    assert_true(back.value()[i].rtt_min_ns == v.discs[i].rtt_min_ns);
  }
  assert_true(path_numbers(render_svg(evaluate(back.value(), p), p, "three"), "feasible") == n);
  // No feasible region without a bounded F: empty, and more discs than evaluate() takes.
  assert_true(
      region_outline({disc("a", {1.35, 103.82}, 10), disc("b", {22.3, 114.2}, 10)}).empty());
  assert_true(region_outline(std::vector<DiscInfo>(17, disc("x", {1.35, 103.82}, 10))).empty());
}

// discs_from_json, the one decoder of a verdict's discs (explain, the fleet page): each
// malformed verdict is refused with kParse naming the disc and the key; optional keys default.
void test_discs_from_json_malformed(void**) {
  using nlohmann::json;
  const json good = {{"landmark", "sg-1"},
                     {"lat", 1.35},
                     {"lon", 103.8},
                     {"radius_km", 20.0},
                     {"rtt_min_ns", 1000}};
  auto with = [&](const char* key, const json& val) {
    json d = good;
    d[key] = val;
    return json{{"discs", json::array({good, d})}};
  };
  auto without = [&](const char* key) {
    json d = good;
    d.erase(key);
    return json{{"discs", json::array({d})}};
  };
  struct Case {
    json verdict;
    const char* says;
  };
  const std::vector<Case> bad = {
      {json::object(), "no \"discs\" array"},
      {json::array(), "no \"discs\" array"},
      {json{{"discs", "x"}}, "no \"discs\" array"},
      {json{{"discs", json::array({1})}}, "disc 0 is not an object"},
      {with("lat", "1.35"), "disc 1: \"lat\""},
      {with("lon", nullptr), "disc 1: \"lon\""},
      {with("radius_km", std::nan("")), "disc 1: \"radius_km\""},
      {with("radius_km", INFINITY), "disc 1: \"radius_km\""},
      {without("lat"), "disc 0: \"lat\""},
      {with("landmark", 7), "disc 1: \"landmark\""},
      {with("rtt_min_ns", -1), "disc 1: \"rtt_min_ns\""},
      {with("rtt_min_ns", 1.5), "disc 1: \"rtt_min_ns\""},
      {json{{"discs", json::array()}}, nullptr},  // no discs: fine, an empty list
  };
  for (const auto& c : bad) {
    auto r = discs_from_json(c.verdict);
    if (c.says == nullptr) {
      assert_true(r.ok() && r.value().empty());
      continue;
    }
    if (r.ok()) fail_msg("accepted: %s", c.verdict.dump().c_str());
    assert_true(r.code() == locus::Status(locus::host::HostError::kParse));
    if (r.message().find(c.says) == std::string::npos)
      fail_msg("%s: says '%s', want '%s'", c.verdict.dump().c_str(), r.message().c_str(), c.says);
  }
  json many = {{"discs", json::array()}};
  for (int i = 0; i < 65; ++i) many["discs"].push_back(good);
  assert_false(discs_from_json(many).ok());
  auto opt = discs_from_json(without("landmark"));
  assert_true(opt.ok());
  assert_string_equal(opt.value()[0].landmark_id.c_str(), "?");
  auto no_rtt = discs_from_json(without("rtt_min_ns"));
  assert_true(no_rtt.ok());
  assert_true(no_rtt.value()[0].rtt_min_ns == 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_svg_approved), cmocka_unit_test(test_svg_refused_and_empty),
      cmocka_unit_test(test_svg_edges_as_meant), cmocka_unit_test(test_svg_feasible_from_discs),
      cmocka_unit_test(test_discs_from_json_malformed)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
