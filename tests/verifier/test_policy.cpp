// Policy loading: a good file parses; each malformed file is refused with an error that
// names the file, the line and the key.
#include <fstream>
#include <string>

#include "locus/verifier/policy.h"
#include "locus_test/testproc.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cstring>

#include "locus_test/cmocka.h"

using namespace locus;

namespace {

std::string g_dir;
const std::string kFw = std::string(64, 'a');

std::string write(const std::string& name, const std::string& text) {
  std::string p = g_dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}

const char* kGood =
    "verifier_id = \"v1\"\n"                                                                // 1
    "lease_s = 900\n"                                                                       // 2
    "[hwmodel.\"locus-host-sim\"]\n"                                                        // 3
    "fwids = [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n"      // 4
    "min_svn = 1\n"                                                                         // 5
    "[site.sg-1]\n"                                                                         // 6
    "zones = [{lat = 1.35, lon = 103.82, radius_km = 40}, {geojson = \"zone.geojson\"}]\n"  // 7
    "forbidden = [{lat = 22.54, lon = 114.06, radius_km = 80}]\n"                           // 8
    "landmarks = [\"lm-1\", \"lm-2\", \"lm-3\"]\n"                                          // 9
    "rounds = 16\nf = 1\nmargin_km = 5\nlease_s = 300\n"                                    // 10-13
    "[tpm]\nrequired = false\npcrs = [0, 1, 7]\n";

// Replaces the first occurrence of `from` in the good policy with `to`.
std::string mutate(const std::string& from, const std::string& to) {
  std::string s = kGood;
  size_t p = s.find(from);
  assert_true(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

void expect_error(const std::string& name, const std::string& text, const std::string& line,
                  const char* key) {
  std::string p = write(name, text);
  auto r = verifier::load_policy(p);
  if (r.ok()) fail_msg("%s: accepted", name.c_str());
  const std::string& m = r.message();
  std::string where = p + ":" + line;
  if (m.find(where) == std::string::npos)
    fail_msg("%s: '%s' lacks '%s'", name.c_str(), m.c_str(), where.c_str());
  if (m.find(key) == std::string::npos)
    fail_msg("%s: '%s' lacks key '%s'", name.c_str(), m.c_str(), key);
}

// The complete example parses with every field in place (GeoJSON path relative to the file).
void test_good(void**) {
  write("zone.geojson",
        "{\"type\":\"Polygon\",\"coordinates\":[[[103,1],[104,1],[104,2],[103,1]]]}");
  auto r = verifier::load_policy(write("good.toml", kGood));
  if (!r.ok()) fail_msg("%s", r.message().c_str());
  const auto& p = r.value();
  assert_string_equal(p.verifier_id.c_str(), "v1");
  assert_int_equal(p.lease_s, 900);
  const verifier::SitePolicy* s = p.site("sg-1");
  assert_non_null(s);
  assert_int_equal(s->zones.size(), 2);
  assert_true(s->zones[1].is_polygon);
  assert_int_equal(s->forbidden.size(), 1);
  assert_int_equal(s->landmarks.size(), 3);
  assert_int_equal(s->f, 1);
  assert_int_equal(p.lease_for(s), 300);
  assert_int_equal(p.hwmodel("locus-host-sim")->min_svn, 1);
  assert_int_equal(p.tpm.pcrs.size(), 3);
}

// TOML syntax error: file:line of the error.
void test_syntax(void**) {
  expect_error("syntax.toml", mutate("min_svn = 1", "min_svn = = 1"), "5", "syntax");
}

// Unknown key (a typo must not silently weaken policy).
void test_unknown_key(void**) {
  expect_error("unknown.toml", mutate("min_svn = 1", "min_snv = 1"), "5",
               "hwmodel.locus-host-sim.min_snv");
}

// A FWID that is not 32 bytes of hex.
void test_bad_fwid(void**) {
  expect_error("fwid.toml",
               mutate("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abc"),
               "4", "hwmodel.locus-host-sim.fwids[0]");
}

// lease_s out of range (license leases are 1..86400 s).
void test_bad_lease(void**) {
  expect_error("lease.toml", mutate("lease_s = 900", "lease_s = 100000"), "2", "lease_s");
}

// A zone with a negative radius.
void test_bad_radius(void**) {
  expect_error("radius.toml", mutate("radius_km = 40", "radius_km = -4"), "7",
               "site.sg-1.zones[0].radius_km");
}

// A GeoJSON zone file that does not exist.
void test_missing_geojson(void**) {
  expect_error("geo.toml", mutate("zone.geojson", "missing.geojson"), "7",
               "site.sg-1.zones[1].geojson");
}

// A GeoJSON file that is read but is not a usable area (an edge drawn across the antimeridian):
// a policy error with the file, line and key, for check-policy, serve and explain alike.
void test_bad_geojson(void**) {
  write("wide.geojson",
        "{\"type\":\"Polygon\",\"coordinates\":[[[179,0],[-179,0],[-179,1],[179,1],[179,0]]]}");
  expect_error("widegeo.toml", mutate("zone.geojson", "wide.geojson"), "7",
               "site.sg-1.zones[1].geojson");
  auto r = verifier::load_policy(g_dir + "/widegeo.toml");
  assert_non_null(strstr(r.message().c_str(), "3.1.9"));
}

// The location keys of a site: margin_fraction parses (0..1), a landmark listed twice is an
// error, and the parsed site carries the location policy the verdict uses.
void test_location_keys(void**) {
  write("zone.geojson",
        "{\"type\":\"Polygon\",\"coordinates\":[[[103,1],[104,1],[104,2],[103,1]]]}");
  auto r = verifier::load_policy(
      write("mf.toml", mutate("margin_km = 5", "margin_km = 5\nmargin_fraction = 0.01")));
  if (!r.ok()) fail_msg("%s", r.message().c_str());
  const verifier::SitePolicy* s = r.value().site("sg-1");
  assert_true(s->margin_fraction == 0.01);
  assert_true(s->margin_km == 5);
  assert_non_null(s->location.get());
  expect_error("mf2.toml", mutate("margin_km = 5", "margin_km = 5\nmargin_fraction = 2"), "13",
               "site.sg-1.margin_fraction");
  expect_error("dup.toml", mutate("\"lm-3\"]", "\"lm-1\"]"), "9", "site.sg-1.landmarks[2]");
}

// A location policy file for explain: one site's keys at the top level, the same parser
// (unknown keys refused with file:line:key; a file without an approved zone refused).
void test_location_policy_file(void**) {
  auto ok = verifier::load_location_policy(
      write("loc.toml", "f = 0\nzones = [{name = \"z\", lat = 1, lon = 2, radius_km = 30}]\n"));
  if (!ok.ok()) fail_msg("%s", ok.message().c_str());
  assert_int_equal(ok.value().zones.size(), 1);
  assert_string_equal(ok.value().zones[0].name.c_str(), "z");
  auto bad = verifier::load_location_policy(write("loc2.toml", "f = 0\nzone = 3\n"));
  assert_false(bad.ok());
  assert_non_null(strstr(bad.message().c_str(), "loc2.toml:2"));
  assert_non_null(strstr(bad.message().c_str(), "zone"));
  assert_false(verifier::load_location_policy(write("loc3.toml", "f = 0\n")).ok());
}

// f must be smaller than the number of landmarks.
void test_bad_f(void**) {
  expect_error("f.toml", mutate("f = 1", "f = 3"), "11", "site.sg-1.f");
}

// A PCR index outside 0..23.
void test_bad_pcr(void**) {
  expect_error("pcr.toml", mutate("pcrs = [0, 1, 7]", "pcrs = [0, 1, 24]"), "16", "tpm.pcrs[2]");
}

// A wrong type (string for an integer).
void test_wrong_type(void**) {
  expect_error("type.toml", mutate("min_svn = 1", "min_svn = \"1\""), "5", "min_svn");
}

// Missing reference values: min_svn absent.
void test_missing_min_svn(void**) {
  expect_error("minsvn.toml", mutate("min_svn = 1\n", ""), "3", "hwmodel.locus-host-sim.min_svn");
}

// A file that does not exist: a config error naming it.
void test_missing_file(void**) {
  auto r = verifier::load_policy(g_dir + "/nope.toml");
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "nope.toml"));
  assert_int_equal(r.code().code(), locus::Status(host::HostError::kConfig).code());
}

}  // namespace

int main() {
  g_dir = host::test::make_temp_dir("locus-policy-");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_syntax),
      cmocka_unit_test(test_unknown_key),
      cmocka_unit_test(test_bad_fwid),
      cmocka_unit_test(test_bad_lease),
      cmocka_unit_test(test_bad_radius),
      cmocka_unit_test(test_missing_geojson),
      cmocka_unit_test(test_bad_f),
      cmocka_unit_test(test_bad_geojson),
      cmocka_unit_test(test_location_keys),
      cmocka_unit_test(test_location_policy_file),
      cmocka_unit_test(test_bad_pcr),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_missing_min_svn),
      cmocka_unit_test(test_missing_file),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  host::test::remove_tree(g_dir);
  return rc;
}
