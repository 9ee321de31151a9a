// SVG explain picture: produced for approved, refused and empty verdicts, well-formed XML
// (parsed by python3's xml.etree), with one disc outline per landmark, the zone, the
// forbidden region, the feasible region, grid labels and a scale bar.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "locus/location/location.h"
#include "locus/location/svg.h"

extern "C" {
#include <cmocka.h>
}

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
  const std::string cmd = std::string("python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
                                      "sys.exit(0 if r.tag.endswith(\"svg\") else 3)' ") + path;
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
  std::vector<Zone> poly;
  assert_string_equal(parse_geojson(R"({"type":"Polygon","coordinates":[[[113.8,22.3],[114.4,22.3],[114.4,22.8],[113.8,22.8],[113.8,22.3]]]})", "prc-south", &poly).c_str(), "");
  p.forbidden = poly;
  return p;
}

// Approved verdict: well-formed, 3 discs, zone, forbidden, feasible region, labels, scale bar.
void test_svg_approved(void**) {
  auto p = policy();
  auto v = evaluate({disc("sg-1 <&>", {1.3521, 103.8198}, 20), disc("kl-1", {3.139, 101.6869}, 480), disc("jkt-1", {-6.2088, 106.8456}, 1350)}, p);
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
  auto v = evaluate({disc("sg-1", {1.3521, 103.8198}, 4000), disc("hk-1", {22.3193, 114.1694}, 4100)}, p);
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

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_svg_approved), cmocka_unit_test(test_svg_refused_and_empty)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
