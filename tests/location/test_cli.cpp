// The location/landmark commands of the `locus` binary: keygen, trustlist sign/show (a wrong
// signer exits 1), verifier explain (SVG parsed by python3; usage/config errors exit 2/3),
// landmark serve (readiness line, bad config exits 3, SIGTERM stops it).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "locus_test/cmocka.h"
#include "locus_test/testproc.h"

namespace ht = locus::host::test;

namespace {

std::string g_bin, g_dir;

int locus(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::vector<std::string> argv = {g_bin};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string o, e;
  const int rc = ht::run_command(argv, &o, &e, 60000);
  if (out != nullptr) *out = o;
  if (rc != 0)
    std::printf("  locus %s -> %d: %s%s\n", args.empty() ? "" : args[0].c_str(), rc, o.c_str(),
                e.c_str());
  return rc;
}

void write(const std::string& name, const std::string& text) {
  std::ofstream(g_dir + "/" + name) << text;
}

// keygen + trustlist sign/show: the signer's key verifies (exit 0, lists the landmark); another
// key is refused (exit 1); an invalid JSON list is an input error (exit 3).
// The d attribute of the SVG file's feasible-region path ("" if it has none).
std::string feasible_path(const std::string& path) {
  std::ifstream f(path);
  const std::string svg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t at = svg.find("class=\"feasible\" d=\"");
  if (at == std::string::npos) return "";
  at = svg.find("d=\"", at) + 3;
  return svg.substr(at, svg.find('"', at) - at);
}

void test_trustlist(void**) {
  std::string pub;
  assert_int_equal(locus({"landmark", "keygen", "--out", g_dir + "/lm.pem"}, &pub), 0);
  while (!pub.empty() && pub.back() == '\n') pub.pop_back();
  assert_int_equal(pub.size(), 130);
  assert_int_equal(
      locus({"landmark", "keygen", "--out", g_dir + "/tl.pem", "--pub", g_dir + "/tl.pub"}), 0);
  assert_int_equal(
      locus({"landmark", "keygen", "--out", g_dir + "/other.pem", "--pub", g_dir + "/other.pub"}),
      0);
  // keygen never overwrites.
  assert_int_not_equal(locus({"landmark", "keygen", "--out", g_dir + "/tl.pem"}), 0);
  write(
      "list.json",
      "{\"version\":1,\"landmarks\":[{\"id\":\"sg-1\",\"lat\":1.3521,\"lon\":103.8198,\"public_"
      "key\":\"" +
          pub +
          "\",\"operator\":\"test\",\"host\":\"127.0.0.1\",\"tcp_port\":7001,\"udp_port\":7002}]}");
  assert_int_equal(locus({"landmark", "trustlist", "sign", "--in", g_dir + "/list.json", "--key",
                          g_dir + "/tl.pem", "--out", g_dir + "/tl.cose"}),
                   0);
  std::string out;
  assert_int_equal(locus({"--json", "landmark", "trustlist", "show", "--in", g_dir + "/tl.cose",
                          "--signer", g_dir + "/tl.pub"},
                         &out),
                   0);
  assert_true(out.find("\"sg-1\"") != std::string::npos);
  assert_true(out.find(pub) != std::string::npos);
  assert_int_equal(locus({"landmark", "trustlist", "show", "--in", g_dir + "/tl.cose", "--signer",
                          g_dir + "/other.pub"}),
                   1);
  write("bad.json", "{\"version\":1,\"landmarks\":[{\"id\":\"x\"}]}");
  assert_int_equal(locus({"landmark", "trustlist", "sign", "--in", g_dir + "/bad.json", "--key",
                          g_dir + "/tl.pem", "--out", g_dir + "/bad.cose"}),
                   3);
}

// explain: measurements -> verdict (no region outline) + SVG (well-formed XML, the feasible
// region drawn from the discs, also from --decision); missing input -> 2; bad policy -> 3.
void test_explain(void**) {
  write("pol.toml",
        "zones = [{name = \"sg-dc\", lat = 1.3337, lon = 103.7437, radius_km = 60}]\n"
        "forbidden = [{name = \"prc\", lat = 22.5431, lon = 114.0579, radius_km = 300}]\n");
  write("m.json",
        "{\"measurements\":[{\"landmark\":\"sg-1\",\"lat\":1.3521,\"lon\":103.8198,\"rtt_min_ns\":"
        "120000},"
        "{\"landmark\":\"kl-1\",\"lat\":3.139,\"lon\":101.6869,\"rtt_min_ns\":3300000}]}");
  std::string out;
  assert_int_equal(locus({"--json", "verifier", "explain", "--policy", g_dir + "/pol.toml",
                          "--records", g_dir + "/m.json", "--svg", g_dir + "/v.svg"},
                         &out),
                   0);
  assert_true(out.find("\"approved\":true") != std::string::npos);
  std::string o, e;
  assert_int_equal(ht::run_command({"/usr/bin/python3", "-c",
                                    "import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                                    g_dir + "/v.svg"},
                                   &o, &e, 30000),
                   0);
  // The verdict carries no outline; the picture has the feasible region all the same.
  assert_true(out.find("region_outline") == std::string::npos);
  assert_true(out.find("\"region_centroid\"") != std::string::npos);
  const std::string feasible = feasible_path(g_dir + "/v.svg");
  assert_true(feasible.size() > 100);
  // The same verdict again from its JSON output (--decision): the same region, drawn from the
  // discs. So is an old decision that still carries a region_outline (here a wrong one): it
  // is not read.
  write("d.json", out);
  assert_int_equal(locus({"verifier", "explain", "--policy", g_dir + "/pol.toml", "--decision",
                          g_dir + "/d.json", "--svg", g_dir + "/d.svg"}),
                   0);
  assert_true(feasible_path(g_dir + "/d.svg") == feasible);
  std::string old = out;
  old.insert(old.rfind('}'), ",\"region_outline\":[[0,0],[0,1],[1,1]]");
  write("old.json", "{\"claims\":{\"location\":" + old + "}}");
  assert_int_equal(locus({"verifier", "explain", "--policy", g_dir + "/pol.toml", "--decision",
                          g_dir + "/old.json", "--svg", g_dir + "/old.svg"}),
                   0);
  assert_true(feasible_path(g_dir + "/old.svg") == feasible);
  // A decision whose disc is malformed: refused, naming the disc and the key; no picture.
  std::string broken = out;
  const size_t rk = broken.find("\"radius_km\":");
  assert_true(rk != std::string::npos);
  broken.insert(rk + 12, "\"12\",\"x\":");  // "radius_km":"12","x":<the number>
  write("broken.json", "{\"claims\":{\"location\":" + broken + "}}");
  std::string bo, be;
  const int brc =
      ht::run_command({g_bin, "verifier", "explain", "--policy", g_dir + "/pol.toml", "--decision",
                       g_dir + "/broken.json", "--svg", g_dir + "/broken.svg"},
                      &bo, &be, 60000);
  if (be.find("disc 0: \"radius_km\" is missing or not a finite number") == std::string::npos)
    fail_msg("explain of a malformed disc: exit %d, stderr %s", brc, be.c_str());
  assert_true(brc != 0);
  assert_true(access((g_dir + "/broken.svg").c_str(), F_OK) != 0);
  assert_int_equal(
      locus({"verifier", "explain", "--policy", g_dir + "/pol.toml", "--svg", g_dir + "/x.svg"}),
      2);
  write("badpol.toml", "f = 0\n");
  assert_int_equal(locus({"verifier", "explain", "--policy", g_dir + "/badpol.toml", "--records",
                          g_dir + "/m.json", "--svg", g_dir + "/y.svg"}),
                   3);
}

// serve: prints its readiness line with two ports; a config without a key exits 3.
void test_serve(void**) {
  write("lm.toml", "id = \"sg-1\"\nlat = 1.3521\nlon = 103.8198\nkey_file = \"lm.pem\"\n");
  ht::Process p;
  assert_true(
      p.start({g_bin, "landmark", "serve", "--config", g_dir + "/lm.toml"}, g_dir + "/serve.log"));
  std::string line;
  assert_true(p.wait_for_line("listening", 15000, &line));
  unsigned tp = 0, up = 0;
  assert_int_equal(std::sscanf(line.c_str(), "listening tcp=%u udp=%u", &tp, &up), 2);
  assert_true(tp > 0 && up > 0);
  const int st = p.kill_and_wait(15, 5000);
  assert_true(st != -1);
  write("nokey.toml", "id = \"sg-1\"\nlat = 1.3521\nlon = 103.8198\n");
  assert_int_equal(locus({"landmark", "serve", "--config", g_dir + "/nokey.toml"}), 3);
}

}  // namespace

int main() {
  g_bin = std::string(std::getenv("LOCUS_BINARY_DIR")) + "/host/cli/locus";
  g_dir = ht::make_temp_dir("locus-loc-cli");
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_trustlist),
                                     cmocka_unit_test(test_explain), cmocka_unit_test(test_serve)};
  const int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  ht::remove_tree(g_dir);
  return rc;
}
