// The host agent with real processes over loopback: locus-host-sim (the firmware core),
// `locus verifier serve`, enrollment with `locus provision ...`, and `locus agent run`.
// Every server listens on a kernel-chosen port and is waited for through its "listening on"
// line; every process is killed by PID; every wait is bounded.
// One scenario per ctest entry (argv[1]): once, renewal, verifier_down, tampered, landmarks, tpm.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "locus/boardlink/link.h"
#include "locus/common/common.h"
#include "locus/crypto/hash.h"
#include "locus_test/proc.h"
#include "locus_test/testproc.h"
#if defined(LOCUS_AGENT_TEST_TPM)
#include "swtpm_harness.h"
#endif

#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library

using namespace locus;
using host::test::Process;

namespace {

std::string g_bin, g_sim, g_dir;

// The processes of the running scenario live outside the test function: a failed cmocka
// assertion longjmps past local destructors, but these are still killed (by PID) when the
// next scenario starts or the program exits.
struct World {
  Process board, ver, agentp;
};
std::unique_ptr<World> g_world;

std::string path(const std::string& n) {
  return g_dir + "/" + n;
}

int locus_cmd(const std::vector<std::string>& args, std::string* out = nullptr,
              std::string* err = nullptr, int timeout_ms = 60000) {
  return locus_test::run_tool(g_bin, args, out, err, timeout_ms);
}

void write(const std::string& name, const std::string& data) {
  std::ofstream f(path(name), std::ios::binary);
  f << data;
}

std::string fwid_hex(const std::string& image_name) {
  auto img = host::read_file(path(image_name));
  assert_true(img.ok());
  crypto::Digest d{};
  assert_true(crypto::sha256(ByteSpan(img.value().data(), img.value().size()), &d).ok());
  return host::hex_encode(ByteSpan(d.data(), d.size()));
}

// Fresh directory with CA, license key, two images (released + one byte changed) and a
// policy accepting only the released one, with the given lease.
void setup_world(int lease_s) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  g_bin = std::string(b) + "/host/cli/locus";
  g_sim = std::string(b) + "/boards/host-sim/locus-host-sim";
  g_dir = host::test::make_temp_dir("locus-agent-");
  std::string image(8192, '\0');
  for (size_t i = 0; i < image.size(); i++) image[i] = static_cast<char>(i * 13 + 1);
  write("image", image);
  image[777] = static_cast<char>(image[777] ^ 0x40);
  write("image-tampered", image);
  uint8_t uds[32];
  assert_true(host::os_random(uds, sizeof uds));
  write("uds", std::string(reinterpret_cast<char*>(uds), sizeof uds));
  write("policy.toml", "verifier_id = \"agent-test\"\nlease_s = " + std::to_string(lease_s) +
                           "\nnonce_ttl_s = 60\n[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
                           fwid_hex("image") +
                           "\"]\nmin_svn = 0\nallow_debug = true\n"
                           "[site.lab]\nzones = [{lat = 47.37, lon = 8.54, radius_km = 50}]\n");
  assert_int_equal(
      locus_cmd({"provision", "init-ca", "--key", path("ca.key"), "--cert", path("ca.pem")}), 0);
  assert_int_equal(locus_cmd({"provision", "init-license-key", "--key", path("license.key"),
                              "--pub", path("license.pub")}),
                   0);
}

void start_board(Process* p, const std::string& image, std::string* link) {
  const int port =
      locus_test::start_host_sim(p, g_sim, path("uds"), path(image), path(image + ".state"),
                                 path("hostsim-" + image + ".log"));
  assert_true(port > 0);
  *link = "tcp:127.0.0.1:" + std::to_string(port);
}

void start_verifier(Process* p, std::string* url) {
  const int port = locus_test::start_listening(
      p,
      {g_bin, "--log-level", "info", "verifier", "serve", "--policy", path("policy.toml"), "--db",
       path("locus.db"), "--ca", path("ca.pem"), "--license-key", path("license.key"), "--listen",
       "127.0.0.1:0"},
      path("verifier.log"));
  assert_true(port > 0);
  *url = "http://127.0.0.1:" + std::to_string(port);
}

void enroll(const std::string& link) {
  assert_int_equal(locus_cmd({"provision", "enroll", "--link", link, "--site", "lab", "--host",
                              "host-1", "--ca-key", path("ca.key"), "--ca-cert", path("ca.pem"),
                              "--license-key", path("license.pub"), "--db", path("locus.db")}),
                   0);
}

// GET_STATUS over a short-lived connection (host-sim serves one client at a time).
bool board_status(const std::string& link, protocol::StatusInfo* s) {
  boardlink::Link l;
  if (!l.open(link, 3000).ok()) return false;
  l.set_timeout_ms(15000);  // the agent may be mid-attestation on the board's one link
  return l.get_status(s).ok();
}

// `locus agent run --once` on an enrolled board with the released firmware: exit 0, the board
// reports FULL with license #1 (read independently over GET_STATUS), and `agent status`
// agrees; a second run renews (license #2).
void test_once_full(void**) {
  setup_world(600);
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  std::string link, url;
  start_board(&board, "image", &link);
  start_verifier(&ver, &url);
  enroll(link);
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeRestricted);

  std::string out;
  assert_int_equal(locus_cmd({"agent", "run", "--once", "--link", link, "--verifier", url}, &out),
                   0);
  assert_non_null(std::strstr(out.c_str(), "interconnect FULL"));
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeFull);
  assert_int_equal(s.license_counter, 1);
  assert_true(s.lease_remaining_ms > 590000 && s.lease_remaining_ms <= 600000);

  assert_int_equal(locus_cmd({"--json", "agent", "status", "--link", link}, &out), 0);
  assert_non_null(std::strstr(out.c_str(), "\"mode\":\"FULL\""));
  assert_int_equal(
      locus_cmd({"--json", "agent", "run", "--once", "--link", link, "--verifier", url}, &out), 0);
  assert_non_null(std::strstr(out.c_str(), "\"outcome\":\"full\""));
  assert_non_null(std::strstr(out.c_str(), "\"status\":\"affirming\""));
  // The verifier's signed EAR is passed on: a JWS compact token (header.payload.signature)
  // whose header names ES256 (verified independently in verifier_ops_test).
  {
    const char* e = std::strstr(out.c_str(), "\"ear\":\"eyJ");
    assert_non_null(e);
    const std::string tok(e + 7, std::strchr(e + 7, '"'));
    assert_int_equal(std::count(tok.begin(), tok.end(), '.'), 2);
  }
  assert_true(board_status(link, &s));
  assert_int_equal(s.license_counter, 2);
  ver.kill_and_wait();
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}

// Loop mode with a 4 s lease and a 2 s renewal margin: over 10 s (2.5 leases) every sample of
// the board's status is FULL and the license counter keeps increasing (>= 4 licenses); on
// SIGTERM the agent stops cleanly with exit 0. The test waits on the agent's own log events
// (its stderr, read through a pipe), not on sleeps.
void test_renewal_keeps_full(void**) {
  setup_world(4);
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  Process& agentp = g_world->agentp;
  std::string link, url;
  start_board(&board, "image", &link);
  start_verifier(&ver, &url);
  enroll(link);
  assert_true(agentp.start_merged({g_bin, "--log-level", "info", "agent", "run", "--link", link,
                                   "--verifier", url, "--renew-margin", "2", "--max-backoff", "2",
                                   "--min-backoff-ms", "200"}));
  // The first license, once the agent has applied it (bounded: 10 s).
  assert_true(agentp.wait_for_line("agent.license_applied", 10000));
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeFull);
  const uint64_t first = s.license_counter;
  // Sampled after every license the agent applies and at least every 250 ms (the wait reads
  // the agent's log meanwhile), over 10 s: FULL every time.
  const int64_t until = host::monotonic_ms() + 10000;
  int samples = 0;
  while (host::monotonic_ms() < until) {
    (void)agentp.wait_for_line("agent.license_applied", 250);
    assert_true(board_status(link, &s));
    if (s.mode != protocol::kModeFull)
      print_message("sample %d: RESTRICTED\n%s\n", samples, agentp.transcript().c_str());
    assert_int_equal(s.mode, protocol::kModeFull);
    samples++;
  }
  assert_true(samples >= 10);
  assert_true(s.license_counter >= first + 3);
  const int st = agentp.kill_and_wait(SIGTERM, 15000);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  agentp.drain(2000);
  const std::string& log = agentp.transcript();
  assert_non_null(std::strstr(log.c_str(), "agent.renew_scheduled"));
  assert_non_null(std::strstr(log.c_str(), "agent.stopped"));
  ver.kill_and_wait();
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}

// The verifier goes away while the agent loops: the agent logs its failures and backs off
// (it stays alive and fabricates nothing), and the board falls back to RESTRICTED when the
// lease it reported ends, with no new license counter.
void test_verifier_down_restricts(void**) {
  setup_world(4);
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  Process& agentp = g_world->agentp;
  std::string link, url;
  start_board(&board, "image", &link);
  start_verifier(&ver, &url);
  enroll(link);
  assert_true(agentp.start_merged({g_bin, "--log-level", "info", "agent", "run", "--link", link,
                                   "--verifier", url, "--renew-margin", "2", "--max-backoff", "1",
                                   "--min-backoff-ms", "200", "--http-timeout-ms", "1000"}));
  assert_true(agentp.wait_for_line("agent.license_applied", 10000));
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeFull);
  ver.kill_and_wait(SIGKILL);
  // The agent's first failed attempt ends whatever exchange was in flight, so from here on no
  // license can reach the board: the lease it reports now is its last.
  assert_true(agentp.wait_for_line("agent.backoff", 10000));
  assert_true(board_status(link, &s));
  const uint64_t counter = s.license_counter;
  const int64_t lease_end = host::monotonic_ms() + int64_t(s.lease_remaining_ms);
  // It keeps trying and backing off (a second failure, bounded).
  assert_true(agentp.wait_for_line("agent.backoff", 10000));
  // RESTRICTED once that lease has run out (500 ms slack for the board's tick): one wait until
  // the time the board itself announced, then one look.
  const int64_t wait = lease_end + 500 - host::monotonic_ms();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  assert_true(agentp.running() && ::kill(agentp.pid(), 0) == 0);
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeRestricted);
  assert_int_equal(s.license_counter, counter);
  const int st = agentp.kill_and_wait(SIGTERM, 15000);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  agentp.drain(2000);
  assert_non_null(std::strstr(agentp.transcript().c_str(), "\"stage\":\"nonce\""));
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}

// A board running a tampered image (one byte changed: another FWID) is enrolled like any
// other, but the agent's attestation is refused (exit 1, reason names the FWID check) and
// the board stays RESTRICTED with no license.
void test_tampered_refused(void**) {
  setup_world(600);
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  std::string link, url;
  start_board(&board, "image-tampered", &link);
  start_verifier(&ver, &url);
  enroll(link);
  std::string out;
  assert_int_equal(locus_cmd({"agent", "run", "--once", "--link", link, "--verifier", url}, &out),
                   1);
  assert_non_null(std::strstr(out.c_str(), "REFUSED"));
  assert_non_null(std::strstr(out.c_str(), "fwid"));
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeRestricted);
  assert_int_equal(s.license_counter, 0);
  // And an unreachable verifier is an I/O failure (exit 4), not a refusal.
  ver.kill_and_wait();
  assert_int_equal(locus_cmd({"agent", "run", "--once", "--link", link, "--verifier", url,
                              "--http-timeout-ms", "1000"}),
                   4);
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}

// Landmarks: two `locus landmark serve` processes on loopback (standing for Zurich and
// Winterthur) in a signed trust list; the site requires both. The agent runs both
// distance-bounding sessions through the board (fast frames over the link) and gets FULL;
// the decision's location check passes. The same board under a policy whose approved zone is
// elsewhere (Singapore) is refused on the location check and stays RESTRICTED.
void test_landmarks(void**) {
  setup_world(600);
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  Process lm[2];
  const char* ids[2] = {"lm-zurich", "lm-winterthur"};
  const double pos[2][2] = {{47.3769, 8.5417}, {47.4988, 8.7237}};
  std::string out;
  assert_int_equal(
      locus_cmd({"landmark", "keygen", "--out", path("tl.key"), "--pub", path("tl.pem")}), 0);
  std::string tl = "{\"version\":1,\"landmarks\":[";
  for (int i = 0; i < 2; i++) {
    assert_int_equal(
        locus_cmd({"landmark", "keygen", "--out", path(std::string(ids[i]) + ".key")}, &out), 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    const std::string pub = out;
    write(std::string(ids[i]) + ".toml",
          "id = \"" + std::string(ids[i]) + "\"\nlat = " + std::to_string(pos[i][0]) +
              "\nlon = " + std::to_string(pos[i][1]) + "\nkey_file = \"" + ids[i] +
              ".key\"\nlisten = \"127.0.0.1\"\n");
    assert_true(
        lm[i].start({g_bin, "landmark", "serve", "--config", path(std::string(ids[i]) + ".toml")},
                    path(std::string(ids[i]) + ".log")));
    std::string line;
    assert_true(lm[i].wait_for_line("listening", 10000, &line));
    const size_t t = line.find("tcp="), u = line.find("udp=");
    assert_true(t != std::string::npos && u != std::string::npos);
    const int tcp = std::atoi(line.c_str() + t + 4), udp = std::atoi(line.c_str() + u + 4);
    tl += std::string(i != 0 ? "," : "") + "{\"id\":\"" + ids[i] +
          "\",\"lat\":" + std::to_string(pos[i][0]) + ",\"lon\":" + std::to_string(pos[i][1]) +
          ",\"public_key\":\"" + pub +
          "\",\"operator\":\"test\",\"host\":\"127.0.0.1\",\"tcp_port\":" + std::to_string(tcp) +
          ",\"udp_port\":" + std::to_string(udp) + "}";
  }
  write("tl.json", tl + "]}");
  assert_int_equal(locus_cmd({"landmark", "trustlist", "sign", "--in", path("tl.json"), "--key",
                              path("tl.key"), "--out", path("tl.cose")}),
                   0);
  const std::string common =
      "verifier_id = \"agent-test\"\nlease_s = 600\nnonce_ttl_s = 60\n"
      "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
      fwid_hex("image") + "\"]\nmin_svn = 0\nallow_debug = true\n";
  const std::string location = "[location]\ntrust_list = \"" + path("tl.cose") +
                               "\"\ntrust_list_signer = \"" + path("tl.pem") + "\"\n";
  write("policy.toml",
        common +
            "[site.lab]\nzones = [{lat = 47.37, lon = 8.54, radius_km = 400}]\n"
            "landmarks = [\"lm-zurich\", \"lm-winterthur\"]\nrounds = 16\nf = 0\nmargin_km = 25\n" +
            location);
  std::string link, url;
  start_board(&board, "image", &link);
  start_verifier(&ver, &url);
  enroll(link);
  assert_int_equal(
      locus_cmd({"--json", "agent", "run", "--once", "--link", link, "--verifier", url}, &out), 0);
  assert_non_null(std::strstr(out.c_str(), "\"landmark_sessions\":2"));
  assert_non_null(std::strstr(out.c_str(), "\"outcome\":\"full\""));
  assert_non_null(std::strstr(out.c_str(), "inside the approved zone"));
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeFull);

  // Same board, a verifier whose site zone is Singapore: refused on location.
  ver.kill_and_wait();
  write("policy.toml",
        common +
            "[site.lab]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 400}]\n"
            "landmarks = [\"lm-zurich\", \"lm-winterthur\"]\nrounds = 16\nf = 0\nmargin_km = 25\n" +
            location);
  Process ver2;
  start_verifier(&ver2, &url);
  assert_int_equal(
      locus_cmd({"--json", "agent", "run", "--once", "--link", link, "--verifier", url}, &out), 1);
  assert_non_null(std::strstr(out.c_str(), "\"landmark_sessions\":2"));
  assert_non_null(std::strstr(out.c_str(), "location"));
  assert_true(board_status(link, &s));
  assert_int_equal(s.license_counter, 1);  // nothing new was applied
  ver2.kill_and_wait();
  for (auto& p : lm) p.kill_and_wait();
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}

#if defined(LOCUS_AGENT_TEST_TPM)
// Host binding with software TPMs: the policy requires a TPM quote; host-1 (swtpm A) is
// enrolled with `locus tpm enroll-host` and the board bound to it. Without --tcti the agent
// is refused on the tpm check; with swtpm A's AK (PCR list from the verifier's quote policy)
// the quote is appraised and the board goes FULL; with an AK of another TPM (the board moved to
// another host) it is refused again and no license is applied.
void test_tpm(void**) {
  setup_world(600);
  {
    auto pol = host::read_text_file(path("policy.toml"));
    assert_true(pol.ok());
    write("policy.toml",
          pol.value() + "[tpm]\nrequired = true\nhash = \"sha256\"\npcrs = [0, 1, 7]\n");
  }
  g_world = std::make_unique<World>();
  Process& board = g_world->board;
  Process& ver = g_world->ver;
  locus::tpm::test::Swtpm tpm_a, tpm_b;
  assert_true(tpm_a.start());
  assert_true(tpm_b.start());
  std::string link, url, out;
  start_board(&board, "image", &link);
  start_verifier(&ver, &url);
  enroll(link);
  assert_int_equal(locus_cmd({"tpm", "enroll-host", "--tcti", tpm_a.tcti(), "--ak",
                              path("ak-a.blob"), "--create-ak", "--ek-ca", tpm_a.ca_file(), "--db",
                              path("locus.db"), "--host", "host-1", "--pcrs", "0,1,7"}),
                   0);
  assert_int_equal(locus_cmd({"--json", "agent", "identity", "--link", link}, &out), 0);
  const size_t k = out.find("\"ueid\":\"");
  assert_true(k != std::string::npos);
  const std::string ueid = out.substr(k + 8, 66);
  assert_int_equal(locus_cmd({"tpm", "bind-board", "--db", path("locus.db"), "--board", ueid,
                              "--host", "host-1"}),
                   0);

  assert_int_equal(locus_cmd({"agent", "run", "--once", "--link", link, "--verifier", url}, &out),
                   1);
  assert_non_null(std::strstr(out.c_str(), "tpm"));

  assert_int_equal(
      locus_cmd({"--json", "agent", "run", "--once", "--link", link, "--verifier", url, "--tcti",
                 tpm_a.tcti(), "--ak", path("ak-a.blob")},  // PCRs from GET /v1/quote-policy
                &out),
      0);
  assert_non_null(std::strstr(out.c_str(), "\"tpm_quoted\":true"));
  protocol::StatusInfo s;
  assert_true(board_status(link, &s));
  assert_int_equal(s.mode, protocol::kModeFull);
  assert_int_equal(s.license_counter, 1);

  assert_int_equal(
      locus_cmd({"tpm", "ak", "create", "--tcti", tpm_b.tcti(), "--ak", path("ak-b.blob")}), 0);
  assert_int_equal(locus_cmd({"agent", "run", "--once", "--link", link, "--verifier", url, "--tcti",
                              tpm_b.tcti(), "--ak", path("ak-b.blob"), "--pcrs", "0,1,7"},
                             &out),
                   1);
  assert_non_null(std::strstr(out.c_str(), "tpm"));
  assert_true(board_status(link, &s));
  assert_int_equal(s.license_counter, 1);
  ver.kill_and_wait();
  board.kill_and_wait();
  host::test::remove_tree(g_dir);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "all";
  std::vector<CMUnitTest> tests;
  if (which == "once" || which == "all") tests.push_back(cmocka_unit_test(test_once_full));
  if (which == "renewal" || which == "all")
    tests.push_back(cmocka_unit_test(test_renewal_keeps_full));
  if (which == "verifier_down" || which == "all")
    tests.push_back(cmocka_unit_test(test_verifier_down_restricts));
  if (which == "tampered" || which == "all")
    tests.push_back(cmocka_unit_test(test_tampered_refused));
  if (which == "landmarks") tests.push_back(cmocka_unit_test(test_landmarks));
#if defined(LOCUS_AGENT_TEST_TPM)
  if (which == "tpm") tests.push_back(cmocka_unit_test(test_tpm));
#endif
  if (tests.empty()) {
    std::fprintf(stderr,
                 "unknown scenario '%s' (once, renewal, verifier_down, tampered, landmarks, all)\n",
                 which.c_str());
    return 2;
  }
  return _cmocka_run_group_tests(("agent_integration_" + which).c_str(), tests.data(), tests.size(),
                                 nullptr, nullptr);
}
