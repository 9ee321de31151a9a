// The landmark's /metrics (`locus landmark serve --metrics-listen`), against the real process
// on loopback with the in-process FakeDevice behind the landmark client library: after 16
// honest sessions run 8 at a time (16 rounds each) and 3 broken set-ups, `promtool check
// metrics` accepts the scrape and the counters equal that traffic (sessions by outcome,
// one RTT observation per round, no session active). Other paths are 404.
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
#include "locus/common/common.h"
#include "locus/landmark/client.h"
#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library
#include "locus_test/testproc.h"

using namespace locus;
using host::test::Process;

namespace {

const std::vector<uint8_t> kNonce(32, 0x3c);

double metric(const std::string& scrape, const std::string& series) {
  size_t p = 0;
  while ((p = scrape.find(series + " ", p)) != std::string::npos) {
    if (p == 0 || scrape[p - 1] == '\n') return std::stod(scrape.substr(p + series.size() + 1));
    p += series.size();
  }
  return -1;
}

void test_metrics_after_traffic(void**) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  const std::string bin = std::string(b) + "/host/cli/locus";
  const std::string dir = host::test::make_temp_dir("locus-lmmetrics-");
  std::string out, err;
  assert_int_equal(host::test::run_command({bin, "landmark", "keygen", "--out", dir + "/lm.key",
                                            "--pub", dir + "/lm.pub"},
                                           &out, &err),
                   0);
  std::ofstream(dir + "/lm.toml") << "id = \"metrics-1\"\nlat = 1.29\nlon = 103.85\n"
                                     "key_file = \"lm.key\"\nlisten = \"127.0.0.1\"\n"
                                     "timeout_ms = 3000\nsetup_timeout_ms = 1000\n"
                                     "max_sessions_per_source = 16\n";
  Process lm;
  assert_true(lm.start(
      {bin, "landmark", "serve", "--config", dir + "/lm.toml", "--metrics-listen", "127.0.0.1:0"},
      dir + "/lm.log"));
  std::string line;
  unsigned mport = 0, t = 0, u = 0;
  assert_true(lm.wait_for_line("metrics on ", 10000, &line));
  assert_int_equal(std::sscanf(line.c_str(), "metrics on 127.0.0.1:%u", &mport), 1);
  assert_true(lm.wait_for_line("listening tcp=", 10000, &line));
  assert_int_equal(std::sscanf(line.c_str(), "listening tcp=%u udp=%u", &t, &u), 2);

  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  ts.reserve(8);

  for (int k = 0; k < 8; ++k)
    ts.emplace_back([&, k]() {
      for (int i = 0; i < 2; ++i) {
        test::FakeDevice dev(uint8_t(k * 2 + i + 1));
        landmark::SessionResult r;
        landmark::SessionOptions opt;
        opt.rounds = 16;
        opt.timeout_ms = 3000;
        const host::HStatus st =
            landmark::run_session({"metrics-1", "127.0.0.1", uint16_t(t), uint16_t(u)},
                                  ByteSpan(kNonce), ByteSpan(dev.ueid()), dev, opt, &r);
        if (st.ok())
          ok++;
        else
          std::fprintf(stderr, "session failed: %s\n", st.message().c_str());
      }
    });
  for (auto& th : ts) th.join();
  assert_int_equal(ok.load(), 16);
  // Three broken set-ups (not JSON): each a failed session.
  for (int i = 0; i < 3; ++i) {
    httplib::Client c("127.0.0.1", int(t));
    c.set_read_timeout(3, 0);
    (void)c.Get("/not-a-landmark-message");
  }

  httplib::Client mc("127.0.0.1", int(mport));
  mc.set_read_timeout(5, 0);
  auto nf = mc.Get("/other");
  assert_true(nf != nullptr);
  assert_int_equal(nf->status, 404);
  // Sessions are counted by the server once it has closed their connections, which may be
  // after the client returned: bounded wait (5 s) until all 19 are counted.
  const std::string ok_series =
      "locus_landmark_sessions_total{landmark=\"metrics-1\",outcome=\"ok\"}";
  const std::string failed_series =
      "locus_landmark_sessions_total{landmark=\"metrics-1\",outcome=\"failed\"}";
  std::string scrape;
  for (int i = 0; i < 50; ++i) {
    auto r = mc.Get("/metrics");
    assert_true(r != nullptr);
    assert_int_equal(r->status, 200);
    scrape = r->body;
    if (metric(scrape, ok_series) + metric(scrape, failed_series) >= 19) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int prc =
      host::test::run_command({"/usr/bin/promtool", "check", "metrics"}, &out, &err, 30000, scrape);
  print_message("promtool check metrics: exit %d %s%s\n", prc, out.c_str(), err.c_str());
  assert_int_equal(prc, 0);
  const std::string id = "landmark=\"metrics-1\"";
  assert_true(metric(scrape, "locus_landmark_sessions_total{" + id + ",outcome=\"ok\"}") == 16);
  assert_true(metric(scrape, "locus_landmark_sessions_total{" + id + ",outcome=\"failed\"}") == 3);
  assert_true(metric(scrape, "locus_landmark_sessions_total{" + id + ",outcome=\"busy\"}") == 0);
  assert_true(metric(scrape, "locus_landmark_active_sessions{" + id + "}") == 0);
  assert_true(metric(scrape, "locus_landmark_round_rtt_seconds_count{" + id + "}") == 256);
  assert_true(metric(scrape, "locus_landmark_round_rtt_seconds_bucket{" + id + ",le=\"+Inf\"}") ==
              256);
  // Loopback rounds: all well under 100 ms.
  assert_true(metric(scrape, "locus_landmark_round_rtt_seconds_bucket{" + id + ",le=\"0.1\"}") ==
              256);
  (void)lm.kill_and_wait();
  host::test::remove_tree(dir);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_metrics_after_traffic)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
