// `locus provision enroll-batch` against two real locus-host-sim boards and one link where
// nothing listens: the good boards are enrolled, the bad one is reported, the summary says
// 2 of 3, the exit code is non-zero (4, network), and the JSON lists a result per board.
// Then `locus provision export` and `locus audit show` see the two provisioning acts.
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library
#include "locus_test/proc.h"
#include "locus_test/testproc.h"

using namespace locus;
using json = nlohmann::json;
using host::test::Process;

namespace {

std::string g_bin, g_sim, g_dir;
std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

int run(const std::vector<std::string>& args, std::string* out) {
  return locus_test::run_tool(g_bin, args, out);
}

bool start_board(Process* p, const std::string& tag, int* port) {
  std::ofstream(P("uds-" + tag), std::ios::binary) << std::string(32, tag[0]);
  std::ofstream(P("image"), std::ios::binary) << std::string(1000, 'x');
  *port = locus_test::start_host_sim(p, g_sim, P("uds-" + tag), P("image"), P("state-" + tag),
                                     P("sim-" + tag + ".log"));
  return *port > 0;
}

void test_batch(void**) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  g_bin = std::string(b) + "/host/cli/locus";
  g_sim = std::string(b) + "/boards/host-sim/locus-host-sim";
  g_dir = host::test::make_temp_dir("locus-batch-");
  std::string out;
  assert_int_equal(run({"provision", "init-ca", "--key", P("ca.key"), "--cert", P("ca.pem")}, &out),
                   0);
  assert_int_equal(
      run({"provision", "init-license-key", "--key", P("lk.key"), "--pub", P("lk.pub")}, &out), 0);
  // Refuses to overwrite (exit 3) and says so.
  std::string err;
  assert_int_equal(
      host::test::run_command(
          {g_bin, "provision", "init-ca", "--key", P("ca.key"), "--cert", P("ca.pem")}, &out, &err),
      3);
  assert_non_null(strstr(err.c_str(), "refusing to overwrite"));

  Process a, c;
  int pa = 0, pc = 0;
  assert_true(start_board(&a, "a", &pa));
  assert_true(start_board(&c, "c", &pc));
  int dead = host::test::free_port();
  std::ofstream(P("boards.txt")) << "# link site host\n"
                                 << "tcp:127.0.0.1:" << pa << " sg-1 rack-a\n"
                                 << "tcp:127.0.0.1:" << dead << " sg-1 rack-b\n"
                                 << "tcp:127.0.0.1:" << pc << ",sg-2,rack-c,locus-host-sim\n";
  int rc = run({"--json", "provision", "enroll-batch", P("boards.txt"), "--db", P("r.db"),
                "--ca-key", P("ca.key"), "--ca-cert", P("ca.pem"), "--license-key", P("lk.pub")},
               &out);
  assert_int_equal(rc, 4);
  json j = json::parse(out);
  assert_int_equal(j["total"].get<int>(), 3);
  assert_int_equal(j["enrolled"].get<int>(), 2);
  assert_int_equal(j["failed"].get<int>(), 1);
  assert_true(j["results"][0]["ok"].get<bool>());
  assert_false(j["results"][1]["ok"].get<bool>());
  assert_true(j["results"][2]["ok"].get<bool>());
  assert_string_equal(j["results"][2]["hwmodel"].get<std::string>().c_str(), "locus-host-sim");

  // Human output: one line per board and a summary.
  // The boards now already carry a DeviceID certificate from the first batch, so they
  // refuse a second one: every board fails, a refusal (exit 1) outranks the network error.
  assert_int_equal(
      run({"provision", "enroll-batch", P("boards.txt"), "--db", P("r2.db"), "--ca-key",
           P("ca.key"), "--ca-cert", P("ca.pem"), "--license-key", P("lk.pub")},
          &out),
      1);
  print_message("%s", out.c_str());
  assert_non_null(strstr(out.c_str(), "summary: 0 enrolled, 3 failed of 3"));

  assert_int_equal(run({"--json", "provision", "list", "--db", P("r.db")}, &out), 0);
  assert_int_equal(json::parse(out).size(), 2);
  assert_int_equal(
      run({"--json", "audit", "show", "--log", P("r.db.audit.jsonl"), "--kind", "provision"}, &out),
      0);
  assert_int_equal(json::parse(out).size(), 2);
  assert_int_equal(run({"audit", "verify", "--log", P("r.db.audit.jsonl")}, &out), 0);
  assert_int_equal(run({"--json", "provision", "export", "--out", P("exp"), "--db", P("r.db"),
                        "--ca-cert", P("ca.pem")},
                       &out),
                   0);
  assert_int_equal(json::parse(out)["certificates"].get<int>(), 3);
  assert_true(host::file_exists(P("exp/devices.json")));
  // Export reads the registry only: a mistyped --db is refused (exit 4, I/O) and creates
  // neither that registry nor the output directory.
  assert_int_equal(run({"--json", "provision", "export", "--out", P("exp2"), "--db",
                        P("no-such.db"), "--ca-cert", P("ca.pem")},
                       &out),
                   4);
  assert_true(out.find("no such registry") != std::string::npos);
  assert_false(host::file_exists(P("no-such.db")));
  assert_false(host::file_exists(P("exp2")));
  a.kill_and_wait(15);
  c.kill_and_wait(15);
  host::test::remove_tree(g_dir);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_batch)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
